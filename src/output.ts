import { randomBytes } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { errnoCode, InputError } from './errors.js';

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

/** Write a whole file through a temporary name and a rename, so readers never see half a report. */
export function writeFileAtomic(path: string, text: string | Iterable<string>): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'w', 0o644);
    for (const piece of piecesOf(text)) {
      const bytes = Buffer.from(piece, 'utf8');
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
    }
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    rmSync(temp, { force: true });
    // Pieces are made while they are written: an error without a system code came from making
    // them, not from the file, and must not be told as a write failure.
    const code = errnoCode(error);
    if (code === undefined) throw error;
    throw new InputError(`cannot write '${path}': ${code}`);
  }
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
