/**
 * What the filesystem says of one listed entry, before any byte is read: lstat or fstat facts,
 * a link's chain (read, never followed), and for a regular file its bytes as a ByteSource, opened
 * without following a link, without waiting on a FIFO, and checked to be where its path says.
 * Never throws for one entry; never opens anything but a regular file.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  type Stats,
} from 'node:fs';
import { posix } from 'node:path';
import type { Limits } from '../../inspect/limits.js';
import { LocalFile } from '../../inspect/local-file.js';
import { analyzeName } from '../../inspect/names.js';
import type {
  ByteSource,
  EntryKind,
  InspectedFile,
  NotEvaluatedReason,
  SymlinkFacts,
} from '../../model/types.js';
import { handleIsAt } from '../../util/confined.js';
import { errnoCode } from '../../util/errors.js';
import { printableBytes } from '../../util/escape.js';
import type { DirectoryEntry } from './listing.js';

export interface InspectContext {
  /** The real (symlink-free) absolute path of the scanned root. */
  rootReal: string;
  limits: Limits;
}

/**
 * `source`: a regular file's bytes, opened and not yet read; the caller inspects them (the
 * Auditor does) and closes the source.
 */
export type InspectOutcome =
  | { status: 'ok'; file: InspectedFile; source?: ByteSource }
  | { status: 'not-evaluated'; reason: NotEvaluatedReason; detail: string; file?: InspectedFile };

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** Linux only, and only for the file's owner (or root): reading then leaves atime alone too. */
const NOATIME = constants.O_NOATIME ?? 0;

/** Open for reading without following a link, blocking on a FIFO, or (where allowed) touching atime. */
function openNoFollow(path: string | Buffer): number {
  if (NOATIME !== 0) {
    try {
      return openSync(path, OPEN_FLAGS | NOATIME);
    } catch (error) {
      if (errnoCode(error) !== 'EPERM') throw error;
    }
  }
  return openSync(path, OPEN_FLAGS);
}

function reasonFor(error: unknown): { reason: NotEvaluatedReason; detail: string } {
  const code = errnoCode(error) ?? 'EUNKNOWN';
  if (code === 'ENOENT' || code === 'ENOTDIR') return { reason: 'vanished', detail: code };
  if (code === 'EACCES' || code === 'EPERM') return { reason: 'unreadable', detail: code };
  if (code === 'ELOOP') return { reason: 'changed-type', detail: 'became a symlink after listing' };
  return { reason: 'read-error', detail: code };
}

/** What lstat says an entry is, as an EntryKind. */
export function entryKindOf(stats: Stats): EntryKind {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return stats.isBlockDevice() ? 'block-device' : 'char-device';
}

/** entryKindOf in the words of a not-evaluated detail: a device is a device. */
function describe(stats: Stats): string {
  const kind = entryKindOf(stats);
  return kind === 'block-device' || kind === 'char-device' ? 'device' : kind;
}

/** The final component's bytes on disk. */
const rawName = (entry: DirectoryEntry): Buffer | undefined =>
  entry.rawPath?.subarray(entry.rawPath.lastIndexOf(0x2f) + 1);

function baseRecord(entry: DirectoryEntry, stats: Stats): InspectedFile {
  const file: InspectedFile = {
    path: entry.path,
    kind: entry.kind,
    name: entry.decodedName,
    size: stats.size,
    mode: stats.mode,
    nlink: stats.nlink,
    mtimeMs: stats.mtimeMs,
    nameInfo: analyzeName(entry.decodedName, entry.invalidUtf8Name ? rawName(entry) : undefined),
  };
  if (entry.pathBase64 !== undefined) file.pathBase64 = entry.pathBase64;
  if (entry.invalidUtf8Name) file.invalidUtf8Name = true;
  return file;
}

// Symlink resolution works on latin1 strings: one char per byte, so no name is mangled.
const latin1 = (p: string | Buffer): string => Buffer.from(p).toString('latin1');
const bytes = (p: string): Buffer => Buffer.from(p, 'latin1');
const within = (p: string, root: string): boolean =>
  p === root || p.startsWith(root === '/' ? '/' : `${root}/`);

/** Follow a link chain by reading links only (never opening a target), bounded by maxSymlinkHops. */
function resolveSymlink(linkPath: string | Buffer, rootReal: string, limits: Limits): SymlinkFacts {
  const root = latin1(rootReal);
  let current = latin1(linkPath);
  const first = readlinkSync(bytes(current), { encoding: 'buffer' });
  const facts: SymlinkFacts = {
    target: printableBytes(first),
    resolved: '',
    leavesRoot: false,
    dangling: false,
    loop: false,
    hops: 0,
  };
  let target = first.toString('latin1');
  const seen = new Set<string>([current]);
  for (;;) {
    facts.hops++;
    let next = posix.resolve(posix.dirname(current), target);
    try {
      next = posix.join(
        latin1(realpathSync(bytes(posix.dirname(next)), { encoding: 'buffer' })),
        posix.basename(next),
      );
    } catch {
      facts.dangling = true;
    }
    if (!within(next, root)) facts.leavesRoot = true;
    current = next;
    if (facts.dangling) break;
    let stats: Stats;
    try {
      stats = lstatSync(bytes(current));
    } catch {
      facts.dangling = true;
      break;
    }
    if (!stats.isSymbolicLink()) break;
    if (seen.has(current) || facts.hops >= limits.maxSymlinkHops) {
      facts.loop = true;
      break;
    }
    seen.add(current);
    target = readlinkSync(bytes(current), { encoding: 'buffer' }).toString('latin1');
  }
  facts.resolved = printableBytes(bytes(current));
  return facts;
}

/**
 * Open a regular file and fstat it. `inFolder`, a path through its folder's checked handle,
 * needs no check of its own; a file opened by its full path is checked to be where that path
 * says (every parent was resolved again).
 */
function openRegular(entry: DirectoryEntry, inFolder?: string | Buffer): InspectOutcome {
  let fd: number;
  try {
    fd = openNoFollow(inFolder ?? entry.fsPath);
  } catch (error) {
    return { status: 'not-evaluated', ...reasonFor(error) };
  }
  try {
    if (inFolder === undefined && !handleIsAt(fd, entry.fsPath)) {
      closeSync(fd);
      return {
        status: 'not-evaluated',
        reason: 'changed-type',
        detail: 'a parent folder was replaced by a symlink during the scan; not read',
      };
    }
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      return {
        status: 'not-evaluated',
        reason: 'changed-type',
        detail: `became a ${describe(stats)} after listing`,
      };
    }
    return { status: 'ok', file: baseRecord(entry, stats), source: new LocalFile(fd, stats.size) };
  } catch (error) {
    closeSync(fd);
    return { status: 'not-evaluated', ...reasonFor(error) };
  }
}

/**
 * Gather the facts about one entry. Never throws for one entry; never opens a non-regular file.
 * `inFolder`: the path that opens the entry through its folder's checked handle, when the caller
 * holds one (listing.ts entryPathIn).
 */
export function entryFacts(
  entry: DirectoryEntry,
  ctx: InspectContext,
  inFolder?: string | Buffer,
): InspectOutcome {
  if (entry.kind === 'file') return openRegular(entry, inFolder);
  let stats: Stats;
  try {
    stats = lstatSync(entry.fsPath);
  } catch (error) {
    return { status: 'not-evaluated', ...reasonFor(error) };
  }
  const file = baseRecord(entry, stats);
  if (entry.kind === 'symlink') {
    if (!stats.isSymbolicLink()) {
      return {
        status: 'not-evaluated',
        reason: 'changed-type',
        detail: `became a ${describe(stats)} after listing`,
      };
    }
    try {
      file.symlink = resolveSymlink(entry.fsPath, ctx.rootReal, ctx.limits);
    } catch (error) {
      return { status: 'not-evaluated', file, ...reasonFor(error) };
    }
    return { status: 'ok', file };
  }
  if (entry.kind === 'directory') return { status: 'ok', file };
  return { status: 'not-evaluated', reason: 'special-file', detail: `${entry.kind}: never opened`, file };
}
