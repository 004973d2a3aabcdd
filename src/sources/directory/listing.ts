import { isUtf8 } from 'node:buffer';
import { closeSync, type Dir, type Dirent, opendirSync, readdirSync } from 'node:fs';
import type { Entry, EntryKind } from '../../model/types.js';
import { openCheckedFolder } from '../../util/confined.js';
import { printableName } from '../../util/escape.js';
import { byText } from '../../util/order.js';

/** A directory still to be listed. The root is `{ path: '', fsPath: realRoot }`. */
export interface DirectoryJob {
  /** Relative, printable (`''` for the root). */
  path: string;
  /** Absolute path for fs calls: a Buffer once any component is not valid UTF-8. */
  fsPath: string | Buffer;
  /** Raw relative bytes, kept only below a component that is not valid UTF-8. */
  rawPath?: Buffer;
  /**
   * The folder's st_size when its parent's scan read it: below SMALL_FOLDER_BYTES it is listed in
   * one call, otherwise (or when unknown) through a handle.
   */
  size?: number;
  /**
   * A slice of a large folder's listing: scan these entries without listing the folder again.
   * A name is a Buffer when it is not valid UTF-8.
   */
  slice?: Listing;
  /**
   * The rest of a folder too large to list at once, read as it is scanned. It holds an open
   * handle: it stays in the thread that opened it and is never handed to another.
   */
  stream?: FolderStream;
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
  // A backslash is shown doubled, so that a name spelled `s\xff` never prints like one holding
  // the byte 0xFF; such names keep their raw bytes, like names that are not UTF-8.
  const plain = valid && !name.includes('\\');
  const printable = plain ? name : printableName(valid ? Buffer.from(name) : name);
  const path = job.path === '' ? printable : `${job.path}/${printable}`;
  const rawName = plain ? undefined : valid ? Buffer.from(name) : name;
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
 * A folder's st_size below which it is listed in one readdirSync call. Above it (or unknown) the
 * folder is read through a handle, a batch of entries at a time: readdirSync's scandir(3) holds
 * every entry in C memory at once (~280 bytes each, 280 MB for a flat folder of a million
 * uploads), while on small folders a handle is the slower way. On ext4 64 KiB is roughly 2,000
 * names; where st_size means something else, a wrong guess costs only that memory or that time.
 */
export const SMALL_FOLDER_BYTES = 64 * 1024;

/**
 * Entries a folder read through a handle may have before it is scanned as it is read instead
 * of listed and sorted first (`--list-limit`): a listing holds every name, ~90 bytes each, and
 * a folder of 1,000,000 uploads took ~190 MiB to list.
 */
export const LIST_LIMIT = 100_000;

/**
 * A folder's handle, checked to be where its path says when it was opened; `path` names that
 * very folder however its path changes later (on Linux `/proc/<pid>/fd/N`, else its path).
 */
export type CheckedFolder = ReturnType<typeof openCheckedFolder>;

/** Open a job's folder and check its handle (throws when a swapped-in symlink led elsewhere). */
export const openJobFolder = (job: DirectoryJob): CheckedFolder => openCheckedFolder(job.fsPath);

/**
 * The path that opens `name` inside a checked folder: through its handle (as openat does), so
 * no parent is resolved again and a parent swapped for a symlink since cannot lead outside.
 */
export function entryPathIn(folder: CheckedFolder, name: string | Buffer): string | Buffer {
  if (typeof name === 'string' && typeof folder.path === 'string') return `${folder.path}/${name}`;
  return Buffer.concat([Buffer.from(folder.path), SLASH, Buffer.from(name)]);
}

/**
 * List a folder only through a handle checked to be where its path says (never past a
 * swapped-in symlink): `folder`, when the caller holds one, else one opened for the listing.
 */
function inCheckedFolder<T>(
  job: DirectoryJob,
  list: (path: string | Buffer) => T,
  folder?: CheckedFolder,
): T {
  if (folder) return list(folder.path);
  const opened = openJobFolder(job);
  try {
    return list(opened.path);
  } finally {
    closeSync(opened.fd);
  }
}

const openHandle = (job: DirectoryJob, encoding: 'utf8' | 'buffer', folder?: CheckedFolder): Dir =>
  inCheckedFolder(
    job,
    (path) => opendirSync(path, { encoding: encoding as BufferEncoding, bufferSize: 256 }),
    folder,
  );

/**
 * Every entry of a folder: from one readdirSync call, or through a handle a batch at a time.
 * With `limit`, a handle that holds more than `limit` entries is returned open after them.
 */
function readListing(
  job: DirectoryJob,
  encoding: 'utf8' | 'buffer',
  limit = Number.POSITIVE_INFINITY,
  folder?: CheckedFolder,
): Listing & { open?: Dir } {
  if (job.size !== undefined && job.size < SMALL_FOLDER_BYTES) {
    const dirents = inCheckedFolder(
      job,
      (path) => readdirSync(path, { withFileTypes: true, encoding: encoding as 'buffer' }),
      folder,
    );
    return { names: dirents.map((d) => d.name), kinds: dirents.map(kindOf) };
  }
  const names: (string | Buffer)[] = [];
  const kinds: EntryKind[] = [];
  const dir = openHandle(job, encoding, folder);
  try {
    for (let dirent = dir.readSync(); dirent !== null; dirent = dir.readSync()) {
      names.push(dirent.name);
      kinds.push(kindOf(dirent));
      if (names.length > limit) return { names, kinds, open: dir };
    }
  } catch (error) {
    dir.closeSync();
    throw error;
  }
  dir.closeSync();
  return sortedByName({ names, kinds });
}

/** Names in order: text by code units, bytes (names that are not UTF-8) by bytes. */
const byName = (a: string | Buffer, b: string | Buffer): number =>
  typeof a === 'string' && typeof b === 'string'
    ? byText(a, b)
    : Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * A handle gives entries in the filesystem's hash order; scanned in name order, as readdirSync
 * (libuv sorts) gives them, files named in the order they were written (IMG_0001, timestamps)
 * are read in about the order they lie on disk.
 */
function sortedByName({ names, kinds }: Listing): Listing {
  const order = names.map((_, i) => i).sort((a, b) => byName(names[a]!, names[b]!));
  return { names: order.map((i) => names[i]!), kinds: order.map((i) => kinds[i]!) };
}

/** A name as listed in bytes: text when it is valid UTF-8. */
const named = (raw: Buffer): string | Buffer => (isUtf8(raw) ? raw.toString('utf8') : raw);

/** Names read as text hold U+FFFD where the bytes were not UTF-8 (or were U+FFFD itself). */
const mangled = (name: string | Buffer): boolean => (name as string).includes('\uFFFD');

/**
 * List one directory without following links. Names are read as strings (fast); a directory
 * holding a name that is not valid UTF-8 is listed again as bytes so no name is mangled. Throws
 * the fs error (ENOENT, EACCES, …) for the caller to count. A folder read through a handle
 * that holds more than `limit` entries comes back with its first entries, in the filesystem's
 * order, and a stream of the rest.
 */
export function listDirectory(
  job: DirectoryJob,
  limit = LIST_LIMIT,
  folder?: CheckedFolder,
): Listing & { rest?: FolderStream } {
  const listing = readListing(job, 'utf8', limit, folder);
  const anyMangled = listing.names.some(mangled);
  if (listing.open) {
    // The mangled names of a streamed folder come from its last pass, in bytes.
    const { names, kinds } = anyMangled ? withoutMangled(listing) : listing;
    return { names, kinds, rest: new FolderStream(job, listing.open, anyMangled) };
  }
  if (!anyMangled) return listing;
  const raw = readListing(job, 'buffer', undefined, folder);
  return { names: raw.names.map((name) => named(name as Buffer)), kinds: raw.kinds };
}

function withoutMangled({ names, kinds }: Listing): Listing {
  const kept: Listing = { names: [], kinds: [] };
  names.forEach((name, i) => {
    if (mangled(name)) return;
    kept.names.push(name);
    kept.kinds.push(kinds[i]!);
  });
  return kept;
}

/**
 * The rest of a folder too large to list at once, read a batch at a time as it is scanned, in
 * the filesystem's order. Names are read as text; those that hold U+FFFD are set aside and, once
 * the text is read, taken from one more pass over the folder in bytes (a handle that reads bytes
 * costs ~0.5 µs more per entry, so only folders that need it pay). Holds open handles until
 * the last batch is read or close() is called.
 */
export class FolderStream {
  readonly #job: DirectoryJob;
  #text: Dir | undefined;
  #bytes: Dir | undefined;
  #mangled: boolean;

  /** `open`: the folder's handle, read as text; `sawMangled`: names with U+FFFD were read before. */
  constructor(job: DirectoryJob, open: Dir, sawMangled: boolean) {
    this.#job = job;
    this.#text = open;
    this.#mangled = sawMangled;
  }

  /** Up to `max` more entries; an empty listing once the folder is read (the handles are closed). */
  read(max: number): Listing {
    const names: (string | Buffer)[] = [];
    const kinds: EntryKind[] = [];
    try {
      while (names.length < max && this.#text) {
        const dirent = this.#text.readSync();
        if (dirent === null) {
          this.#text.closeSync();
          this.#text = undefined;
          if (this.#mangled) this.#bytes = openHandle(this.#job, 'buffer');
        } else if (mangled(dirent.name)) this.#mangled = true;
        else {
          names.push(dirent.name);
          kinds.push(kindOf(dirent));
        }
      }
      while (names.length < max && this.#bytes) {
        const dirent = this.#bytes.readSync() as Dirent<Buffer> | null;
        if (dirent === null) {
          this.#bytes.closeSync();
          this.#bytes = undefined;
        } else if (mangled(dirent.name.toString('utf8'))) {
          names.push(named(dirent.name));
          kinds.push(kindOf(dirent));
        }
      }
    } catch (error) {
      this.close();
      throw error;
    }
    return { names, kinds };
  }

  /** Every entry has been read (and the handles are closed). */
  get done(): boolean {
    return this.#text === undefined && this.#bytes === undefined;
  }

  /** Close the handles before the end: a scan that stops leaves none open. */
  close(): void {
    this.#text?.closeSync();
    this.#bytes?.closeSync();
    this.#text = undefined;
    this.#bytes = undefined;
  }
}

/** Entry `index` of a folder's listing, made when it is scanned (a folder may hold millions). */
export const entryAt = (job: DirectoryJob, listing: Listing, index: number): DirectoryEntry =>
  child(job, listing.names[index]!, listing.kinds[index]!);

/** The job of scanning a folder entry; `size`, its st_size, when it was read. */
export function jobFor(entry: DirectoryEntry, size?: number): DirectoryJob {
  const job: DirectoryJob = { path: entry.path, fsPath: entry.fsPath };
  if (entry.rawPath !== undefined) job.rawPath = entry.rawPath;
  if (size !== undefined) job.size = size;
  return job;
}
