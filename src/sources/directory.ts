import { isUtf8 } from 'node:buffer';
import { type Dirent, readdirSync } from 'node:fs';
import { printableBytes } from '../escape.js';
import type { Entry, EntryKind } from '../types.js';

/** A directory still to be listed. The root is `{ path: '', fsPath: realRoot }`. */
export interface DirectoryJob {
  /** Relative, printable (`''` for the root). */
  path: string;
  /** Absolute path for fs calls: a Buffer once any component is not valid UTF-8. */
  fsPath: string | Buffer;
  /** Raw relative bytes, kept only below a component that is not valid UTF-8. */
  rawPath?: Buffer;
  /**
   * A slice of a large folder's listing: scan these entries without listing the folder again.
   * A name is a Buffer when it is not valid UTF-8.
   */
  slice?: Listing;
}

/** A folder's entries as listed: names, and what each is, by index. */
export interface Listing {
  names: (string | Buffer)[];
  kinds: EntryKind[];
}

/** One entry of a listed directory. */
export interface DirectoryEntry extends Entry {
  /** The final component, printable (for display). */
  name: string;
  /** The final component decoded as UTF-8 (U+FFFD for invalid bytes): what rules read. */
  decodedName: string;
  fsPath: string | Buffer;
  rawPath?: Buffer;
}

function kindOf(dirent: Dirent | Dirent<Buffer>): EntryKind {
  if (dirent.isFile()) return 'file';
  if (dirent.isDirectory()) return 'directory';
  if (dirent.isSymbolicLink()) return 'symlink';
  if (dirent.isFIFO()) return 'fifo';
  if (dirent.isSocket()) return 'socket';
  if (dirent.isBlockDevice()) return 'block-device';
  return 'char-device';
}

const SLASH = Buffer.from('/');

function child(job: DirectoryJob, name: string | Buffer, kind: EntryKind): DirectoryEntry {
  const valid = typeof name === 'string';
  const printable = valid ? name : printableBytes(name);
  const path = job.path === '' ? printable : `${job.path}/${printable}`;
  const rawName = valid ? undefined : name;
  if (typeof job.fsPath === 'string' && rawName === undefined && job.rawPath === undefined) {
    return { path, name: printable, decodedName: printable, kind, fsPath: `${job.fsPath}/${name as string}` };
  }
  const nameBytes = rawName ?? Buffer.from(name as string);
  const parentRaw = job.rawPath ?? Buffer.from(job.path);
  const rawPath = job.path === '' ? nameBytes : Buffer.concat([parentRaw, SLASH, nameBytes]);
  return {
    path,
    name: printable,
    decodedName: valid ? name : name.toString('utf8'),
    kind,
    ...(!valid && { invalidUtf8Name: true as const }),
    fsPath: Buffer.concat([Buffer.from(job.fsPath), SLASH, nameBytes]),
    rawPath,
    pathBase64: rawPath.toString('base64'),
  };
}

/**
 * List one directory without following links. Names are read as strings (fast); a directory
 * holding a name that is not valid UTF-8 is listed again as bytes so no name is mangled.
 * Throws the fs error (ENOENT, EACCES, …) for the caller to count.
 */
export function listDirectory(job: DirectoryJob): Listing {
  const dirents = readdirSync(job.fsPath, { withFileTypes: true });
  if (!dirents.some((d) => d.name.includes('\uFFFD'))) {
    return { names: dirents.map((d) => d.name), kinds: dirents.map(kindOf) };
  }
  const raw = readdirSync(job.fsPath, { withFileTypes: true, encoding: 'buffer' });
  return {
    names: raw.map((d) => (isUtf8(d.name) ? d.name.toString('utf8') : d.name)),
    kinds: raw.map(kindOf),
  };
}

/** Entry `index` of a folder's listing, made when it is scanned (a folder may hold millions). */
export const entryAt = (job: DirectoryJob, listing: Listing, index: number): DirectoryEntry =>
  child(job, listing.names[index]!, listing.kinds[index]!);

export function jobFor(entry: DirectoryEntry): DirectoryJob {
  const job: DirectoryJob = { path: entry.path, fsPath: entry.fsPath };
  if (entry.rawPath !== undefined) job.rawPath = entry.rawPath;
  return job;
}
