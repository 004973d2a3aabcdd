/**
 * Reaching paths below a root without following a symlink anywhere on the way.
 *
 * An auditor that runs as root over a folder strangers write into must not be steered outside it
 * by a folder swapped for a symlink between two system calls. Opening a full path resolves every
 * parent again, so each folder is opened with O_NOFOLLOW through the handle of its parent:
 * on Linux `/proc/self/fd/N/name` names `name` inside the very folder handle N holds (the same
 * as openat(N, name)), however its path changes meanwhile. Every later call on `folder.at(name)`
 * (lstat, rename, link, unlink, open) then acts inside that folder.
 *
 * Without /proc (not Linux), folders are checked component by component with lstat instead: a
 * weaker guarantee (a swap between the check and the call is not caught), said in the README.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  type Stats,
} from 'node:fs';
import { errnoCode } from './errors.js';
import { printableBytes } from './escape.js';

/**
 * Where this process's open handles are named (Linux): `/proc/<pid>/fd` when /proc shows this
 * process under its own pid, as it does unless /proc belongs to another pid namespace, else
 * `/proc/self/fd`; undefined without /proc. The pid spares the kernel resolving the `self` link
 * on every call through it, and a scan makes one per file.
 */
function procFdDir(): string | undefined {
  if (!existsSync('/proc/self/fd')) return undefined;
  try {
    if (readlinkSync('/proc/self') === String(process.pid)) return `/proc/${process.pid}/fd`;
  } catch {
    // /proc/self is no link here: the generic name still works
  }
  return '/proc/self/fd';
}
const FOUND_PROC_FD = procFdDir();
const PROC_FD = FOUND_PROC_FD ?? '/proc/self/fd';
/** Whether this system names open handles under /proc (Linux). */
const HAS_PROC_FD = FOUND_PROC_FD !== undefined;

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** Never block on a FIFO swapped in for a file, never follow a final symlink. */
export const LEAF_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** A refusal to go through something that is not a plain folder below the root. */
export class ConfinementError extends Error {
  override readonly name = 'ConfinementError';
}

/** An open folder below the root; `at(name)` names an entry inside it. */
export class Folder {
  readonly #base: Buffer;
  constructor(
    readonly fd: number,
    realPath: Buffer,
  ) {
    this.#base = HAS_PROC_FD ? Buffer.from(`${PROC_FD}/${fd}/`) : Buffer.concat([realPath, Buffer.from('/')]);
  }

  at(name: Buffer): Buffer {
    return Buffer.concat([this.#base, name]);
  }

  close(): void {
    closeSync(this.fd);
  }
}

const SLASH = 0x2f;

/** The components of a relative raw path; `.`, `..` and empty ones are refused. */
function components(rel: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= rel.length; i++) {
    if (i < rel.length && rel[i] !== SLASH) continue;
    const part = rel.subarray(start, i);
    start = i + 1;
    if (part.length === 0) continue;
    const text = part.toString('latin1');
    if (text === '.' || text === '..')
      throw new ConfinementError(`'${printableBytes(rel)}' climbs out of the root`);
    parts.push(part);
  }
  return parts;
}

/** The folder part and the last component of a relative raw path. */
export function splitLast(rel: Buffer): { dir: Buffer[]; name: Buffer } {
  const parts = components(rel);
  const name = parts.pop();
  if (name === undefined) throw new ConfinementError('an empty path names the root itself');
  return { dir: parts, name };
}

/**
 * Open the folder `rootReal/dir...`, each component without following a symlink. With `create`,
 * missing folders are made (mode 0700 until their owner's mode is put back by the caller).
 * Throws ConfinementError when a component is a symlink or not a folder.
 */
export function openFolder(rootReal: string, dir: Buffer[], create = false): Folder {
  let realPath = Buffer.from(rootReal);
  let fd = openSync(realPath, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    for (const part of dir) {
      const parent = new Folder(fd, realPath);
      const path = parent.at(part);
      if (!HAS_PROC_FD) checkPlainFolder(path);
      let next: number;
      try {
        next = openSync(path, DIR_FLAGS);
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOENT' && create) {
          mkdirSync(path, { mode: 0o700 });
          next = openSync(path, DIR_FLAGS);
        } else if (code === 'ELOOP' || code === 'ENOTDIR') {
          throw new ConfinementError(
            `'${printableBytes(Buffer.concat([realPath, Buffer.from('/'), part]))}' is no longer a folder (a symlink or file stands there now)`,
          );
        } else throw error;
      }
      closeSync(fd);
      fd = next;
      realPath = Buffer.concat([realPath, Buffer.from('/'), part]);
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return new Folder(fd, realPath);
}

function checkPlainFolder(path: Buffer): void {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch {
    return; // missing: the open that follows says so
  }
  if (!stats.isDirectory()) throw new ConfinementError(`'${printableBytes(path)}' is no longer a folder`);
}

/**
 * Where an open handle really is, as the kernel sees it now (`/proc/self/fd/N`), or undefined
 * where the system cannot say. A deleted file reads as its old path plus " (deleted)".
 */
function handlePath(fd: number): Buffer | undefined {
  if (!HAS_PROC_FD) return undefined;
  try {
    return readlinkSync(`${PROC_FD}/${fd}`, { encoding: 'buffer' });
  } catch {
    return undefined;
  }
}

/** Whether a handle opened as `expected` (an absolute real path) really is there. */
export function handleIsAt(fd: number, expected: string | Buffer): boolean {
  const actual = handlePath(fd);
  return actual === undefined || actual.equals(Buffer.isBuffer(expected) ? expected : Buffer.from(expected));
}

/** Open an entry of `folder` for reading (no link followed, no FIFO waited on) and fstat it. */
export function openLeaf(folder: Folder, name: Buffer): { fd: number; stats: Stats } {
  const fd = openSync(folder.at(name), LEAF_FLAGS);
  try {
    return { fd, stats: fstatSync(fd) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Whether two stats describe the same inode. */
export const sameInode = (a: { dev: number; ino: number }, b: { dev: number; ino: number }): boolean =>
  a.dev === b.dev && a.ino === b.ino;

/** A handle that turned out to lie outside the path it was opened by (a parent swapped for a symlink). */
class EscapedError extends Error {
  override readonly name = 'EscapedError';
  readonly code = 'ESCAPED';
}

/**
 * Open a folder by its full real path and check that the handle is that folder, not one a
 * swapped-in symlink led to. Returns a path naming the very folder opened (to list it by), and
 * the handle, which the caller closes once listed.
 */
export function openCheckedFolder(path: string | Buffer): { fd: number; path: string | Buffer } {
  const fd = openSync(path, DIR_FLAGS);
  if (!handleIsAt(fd, path)) {
    closeSync(fd);
    throw new EscapedError('a parent folder was replaced by a symlink during the scan; not listed');
  }
  return { fd, path: HAS_PROC_FD ? `${PROC_FD}/${fd}` : path };
}
