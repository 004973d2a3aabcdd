import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { errnoCode, InputError, writeReason } from '../util/errors.js';

export interface ColorInputs {
  /** --color (true), --no-color (false), or neither (undefined). */
  flag: boolean | undefined;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** The report goes to a file: no color unless forced. */
  toFile: boolean;
}

/** --no-color/--color win; then FORCE_COLOR; then NO_COLOR; then whether we write to a terminal. */
export function colorLevel({ flag, env, isTTY, toFile }: ColorInputs): 0 | 1 | 2 | 3 {
  if (flag === false) return 0;
  if (flag === true) return 1;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    return force === '2' ? 2 : force === '3' ? 3 : 1;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (toFile || !isTTY || env.TERM === 'dumb') return 0;
  return env.COLORTERM === 'truecolor' ? 3 : 1;
}

export function chalkFor(level: 0 | 1 | 2 | 3): ChalkInstance {
  return new Chalk({ level });
}

/** A whole text as the one piece of a report written in pieces. */
const piecesOf = (text: string | Iterable<string>): Iterable<string> =>
  typeof text === 'string' ? [text] : text;

/** Close a file while another error is being reported: that error is the one worth telling. */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // The write already failed; its error is reported.
  }
}

/**
 * Where a report for `path` really goes: a symlink is followed (it stays a link; the file it
 * names is replaced), and anything that is not a regular file (/dev/null, a FIFO, a terminal) is
 * written to directly: renaming over it would turn a device into a plain file.
 */
function destination(path: string): { path: string; direct: boolean } {
  let stats: Stats | undefined;
  try {
    stats = statSync(path);
  } catch {
    // Nothing there yet (or a dangling link): a new file.
    let real = path;
    try {
      if (lstatSync(path).isSymbolicLink()) real = resolve(dirname(path), readlinkSync(path));
    } catch {
      // Not there at all.
    }
    return { path: real, direct: false };
  }
  if (stats.isDirectory()) throw new InputError(`cannot write '${path}': it is a folder`);
  if (!stats.isFile()) return { path, direct: true };
  return { path: realpathSync(path), direct: false };
}

/** Write a whole file through a temporary name and a rename, so readers never see half a report. */
export function writeFileAtomic(path: string, text: string | Iterable<string>): void {
  const target = destination(path);
  if (target.direct) {
    writeDirect(path, text);
    return;
  }
  const temp = join(dirname(target.path), `.${basename(target.path)}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o644);
    writePieces(fd, text);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target.path);
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    rmSync(temp, { force: true });
    throw writeError(path, error);
  }
}

function writePieces(fd: number, text: string | Iterable<string>): void {
  for (const piece of piecesOf(text)) {
    const bytes = Buffer.from(piece, 'utf8');
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
  }
}

/** A device, FIFO or terminal: opened for writing as it is (O_NONBLOCK would fail a FIFO without a reader). */
function writeDirect(path: string, text: string | Iterable<string>): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NOCTTY);
    writePieces(fd, text);
    closeSync(fd);
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    throw writeError(path, error);
  }
}

/**
 * Pieces are made while they are written: an error without a system code came from making them,
 * not from the file, and must not be told as a write failure.
 */
function writeError(path: string, error: unknown): unknown {
  const code = errnoCode(error);
  return code === undefined ? error : new InputError(`cannot write '${path}': ${writeReason(error)}`);
}

/** Stdout errors a writeStdout call has already turned into an InputError. */
const told = new WeakSet<object>();

/**
 * Whether stdout's 'error' event carries nothing new: a reader that went away (EPIPE), or a write
 * error that writeStdout already reports (the stream emits it after the write's callback).
 */
export const stdoutErrorTold = (error: Error): boolean => errnoCode(error) === 'EPIPE' || told.has(error);

/**
 * Write to stdout and wait until it is flushed (large reports to a pipe must be awaited), piece
 * by piece. A reader that went away (EPIPE) ends the writing quietly, as `head` expects; any
 * other failure (a full disk behind `>`) is bad output, one line and exit 2.
 */
export async function writeStdout(text: string | Iterable<string>): Promise<void> {
  for (const piece of piecesOf(text)) {
    const written = await new Promise<boolean>((resolve, reject) => {
      process.stdout.write(piece, (error) => {
        if (!error) resolve(true);
        else if (errnoCode(error) === 'EPIPE') resolve(false);
        else {
          told.add(error);
          reject(new InputError(`cannot write output: ${error.message}`));
        }
      });
    });
    if (!written) return;
  }
}
