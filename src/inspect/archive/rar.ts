/**
 * RAR archives (RAR 5, and RAR 1.5-4.x), listed by their headers: names, sizes, directories,
 * links. RAR's own compression is not unpacked; a stored entry (no compression) is read like any
 * archive entry. What a RAR does to whoever extracts it is in its names and links: a symlink
 * that climbs out (unrar, CVE-2022-30333), a script behind a document's name (WinRAR,
 * CVE-2023-38831), `..\` in a name.
 */
import type { ArchiveEntryFacts, ByteSource } from '../../model/types.js';
import { type ArchiveContext, type OpenNested, readEntryContent } from './context.js';

const RAR5_SIGNATURE = Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1');
const RAR4_SIGNATURE = Buffer.from('Rar!\x1a\x07\x00', 'latin1');
/**
 * Headers are read through a window of this many bytes: the headers of small entries lie
 * side by side, so one read (one request, from a bucket) serves many of them.
 */
const HEADER_WINDOW = 64 * 1024;
/** A RAR 5 header is at most 2 MiB (the format's own limit). */
const MAX_RAR5_HEADER = 2 * 1024 * 1024;

/** A little-endian base-128 number (RAR 5's vint) at `at`, and where the next field starts. */
function vint(bytes: Buffer, at: number): [value: number, next: number] {
  let value = 0;
  for (let shift = 0, i = at; i < bytes.length && shift < 53; shift += 7, i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  throw new Error(`a header field at ${at} runs past its header`);
}

/** Reads of header bytes, served from the last window read when they fall inside it. */
class Headers {
  #start = 0;
  #bytes: Buffer = Buffer.alloc(0);

  constructor(private readonly source: ByteSource) {}

  /** Up to `length` bytes at `at` (fewer at the end of the archive). */
  async read(at: number, length: number): Promise<Buffer> {
    const end = Math.min(at + length, this.source.size);
    if (at < this.#start || end > this.#start + this.#bytes.length) {
      this.#start = at;
      this.#bytes = await this.source.read(
        at,
        Math.min(Math.max(length, HEADER_WINDOW), this.source.size - at),
      );
    }
    return this.#bytes.subarray(at - this.#start, end - this.#start);
  }
}

/** Names encrypted with the data: nothing can be listed, and the report says so. */
const headersEncrypted = (ctx: ArchiveContext): void => {
  ctx.incomplete.push({
    limit: 'archive format',
    detail: 'a RAR whose headers are encrypted: its entries cannot be listed without the password',
  });
};

/** The bytes of a stored entry's data, a piece at a time. */
async function* range(source: ByteSource, start: number, length: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < length; ) {
    const piece = await source.read(start + at, Math.min(64 * 1024, length - at));
    if (piece.length === 0) return;
    yield piece;
    at += piece.length;
  }
}

/** What listing needs of one file header, in either version. */
interface RarFile {
  name: string;
  kind: ArchiveEntryFacts['kind'];
  unpacked: number;
  packed: number;
  dataStart: number;
  stored: boolean;
  encrypted: boolean;
  linkTarget?: string;
}

/** Add a file header's entry, and read a stored entry's data as any entry's. False: stop listing. */
async function addFile(
  file: RarFile,
  source: ByteSource,
  ctx: ArchiveContext,
  depth: number,
  prefix: string,
  openNested: OpenNested,
): Promise<boolean> {
  const entry: ArchiveEntryFacts = {
    path: prefix + file.name.replaceAll('\\', '/'),
    kind: file.kind,
    declaredSize: file.unpacked,
    compressedSize: file.packed,
    depth,
  };
  if (file.linkTarget !== undefined) entry.linkTarget = file.linkTarget;
  if (!ctx.add(entry)) return false;
  if (file.encrypted) ctx.encrypted.push(entry.path);
  else if (file.kind === 'file' && file.stored && file.packed > 0)
    await readEntryContent(ctx, entry, range(source, file.dataStart, file.packed), openNested, () => {});
  return ctx.budgetLeft > 0;
}

/** Header types and flags of RAR 5. */
const RAR5 = { FILE: 2, SERVICE: 3, ENCRYPTION: 4, END: 5, EXTRA: 0x1, DATA: 0x2 } as const;
/** File extra record types: encryption, and a link (redirection). */
const EXTRA_ENCRYPTION = 1;
const EXTRA_REDIRECTION = 5;
const REDIRECTION_HARD_LINK = 4;
const REDIRECTION_FILE_COPY = 5;

/** A RAR 5 file header's fields after the common ones, from `at` in `header`. */
function rar5File(
  header: Buffer,
  at: number,
  extraStart: number,
  dataStart: number,
  packed: number,
): RarFile {
  const [fileFlags, afterFlags] = vint(header, at);
  const [unpacked, afterSize] = vint(header, afterFlags);
  let [, p] = vint(header, afterSize); // attributes
  if (fileFlags & 0x2) p += 4; // modification time
  if (fileFlags & 0x4) p += 4; // data CRC32
  const [compression, afterCompression] = vint(header, p);
  const [, afterHost] = vint(header, afterCompression); // host OS
  const [nameLength, nameAt] = vint(header, afterHost);
  p = nameAt;
  if (p + nameLength > header.length) throw new Error('a file name runs past its header');
  const file: RarFile = {
    name: header.toString('utf8', p, p + nameLength),
    kind: fileFlags & 0x1 ? 'directory' : 'file',
    unpacked,
    packed,
    dataStart,
    stored: ((compression >> 7) & 0x7) === 0,
    encrypted: false,
  };
  // The extra area: records of size, type, data.
  for (let r = extraStart; r < header.length; ) {
    const [size, typeAt] = vint(header, r);
    const end = typeAt + size;
    if (size === 0 || end > header.length) break;
    const [type, dataAt] = vint(header, typeAt);
    if (type === EXTRA_ENCRYPTION) file.encrypted = true;
    if (type === EXTRA_REDIRECTION) {
      const [kind, afterKind] = vint(header, dataAt);
      const [, afterFlags] = vint(header, afterKind);
      const [length, q] = vint(header, afterFlags);
      if (kind !== REDIRECTION_FILE_COPY) {
        file.kind = kind === REDIRECTION_HARD_LINK ? 'hardlink' : 'symlink';
        file.linkTarget = header.toString('utf8', q, Math.min(q + length, end));
      }
    }
    r = end;
  }
  return file;
}

/** One header block: the file it describes, if any, and where the next block starts. */
interface Block {
  next: number;
  file?: RarFile;
  /** The end-of-archive block, or headers encrypted from here on. */
  stop?: 'end' | 'encrypted';
}

/** A RAR 5 header block at `at`. */
async function rar5Block(headers: Headers, at: number): Promise<Block> {
  // CRC32, then the header's size (the bytes from the type on): at most 4 + 3 bytes for 2 MiB.
  const [size, typeAt] = vint(await headers.read(at, 16), 4);
  if (size === 0 || size > MAX_RAR5_HEADER) throw new Error(`a header at ${at} says it is ${size} bytes`);
  const end = typeAt + size;
  const header = await headers.read(at, end);
  if (end > header.length) throw new Error(`the header at ${at} is cut short`);
  const [type, afterType] = vint(header, typeAt);
  const [flags, afterFlags] = vint(header, afterType);
  let p = afterFlags;
  let extraSize = 0;
  let dataSize = 0;
  if (flags & RAR5.EXTRA) [extraSize, p] = vint(header, p);
  if (flags & RAR5.DATA) [dataSize, p] = vint(header, p);
  const block: Block = { next: at + end + dataSize };
  if (type === RAR5.ENCRYPTION) block.stop = 'encrypted';
  if (type === RAR5.END) block.stop = 'end';
  if (type === RAR5.FILE) block.file = rar5File(header, p, end - extraSize, at + end, dataSize);
  return block;
}

/** Block types and flags of RAR 1.5-4.x. */
const RAR4 = {
  ARCHIVE: 0x73,
  FILE: 0x74,
  END: 0x7b,
  HEADERS_ENCRYPTED: 0x0080,
  LONG_BLOCK: 0x8000,
  ENCRYPTED: 0x0004,
  LARGE: 0x0100,
  UNICODE: 0x0200,
  DIRECTORY: 0x00e0,
} as const;
const RAR4_FILE_FIELDS = 25;
const UNIX = 3;
const S_IFMT = 0xf000;
const S_IFLNK = 0xa000;

/**
 * A RAR 4 Unicode name: the bytes after the NUL that ends its ASCII form encode it against that
 * form, two bits of flags per character (a byte as is, with the high byte, a 16-bit unit, or a
 * run copied from the ASCII form with a correction).
 */
function rar4UnicodeName(ascii: Buffer, encoded: Buffer): string {
  const units: number[] = [];
  const high = encoded[0] ?? 0;
  let at = 1;
  let flags = 0;
  let bits = 0;
  while (at < encoded.length && units.length < 4096) {
    if (bits === 0) {
      flags = encoded[at++]!;
      bits = 8;
    }
    const op = flags >> 6;
    if (op === 0) units.push(encoded[at++] ?? 0);
    else if (op === 1) units.push((encoded[at++] ?? 0) + (high << 8));
    else if (op === 2) {
      units.push((encoded[at] ?? 0) + ((encoded[at + 1] ?? 0) << 8));
      at += 2;
    } else {
      let length = encoded[at++] ?? 0;
      const correction = length & 0x80 ? (encoded[at++] ?? 0) : undefined;
      for (length = (length & 0x7f) + 2; length > 0 && units.length < ascii.length; length--) {
        const byte = ascii[units.length]!;
        units.push(correction === undefined ? byte : ((byte + correction) & 0xff) + (high << 8));
      }
    }
    flags = (flags << 2) & 0xff;
    bits -= 2;
  }
  return String.fromCharCode(...units);
}

function rar4File(block: Buffer, flags: number, blockStart: number, headerSize: number): RarFile {
  const packedLow = block.readUInt32LE(7);
  const unpackedLow = block.readUInt32LE(11);
  const hostOs = block[15]!;
  const method = block[25]!;
  const nameSize = block.readUInt16LE(26);
  const attributes = block.readUInt32LE(28);
  const large = (flags & RAR4.LARGE) !== 0;
  const packed = packedLow + (large ? block.readUInt32LE(32) * 2 ** 32 : 0);
  const unpacked = unpackedLow + (large ? block.readUInt32LE(36) * 2 ** 32 : 0);
  const nameAt = 7 + RAR4_FILE_FIELDS + (large ? 8 : 0);
  if (nameAt + nameSize > block.length) throw new Error('a file name runs past its header');
  const raw = block.subarray(nameAt, nameAt + nameSize);
  let name = raw.toString('latin1');
  if (flags & RAR4.UNICODE) {
    const nul = raw.indexOf(0);
    name = nul < 0 ? raw.toString('utf8') : rar4UnicodeName(raw.subarray(0, nul), raw.subarray(nul + 1));
  }
  const symlink = hostOs === UNIX && (attributes & S_IFMT) === S_IFLNK;
  return {
    name,
    kind: (flags & RAR4.DIRECTORY) === RAR4.DIRECTORY ? 'directory' : symlink ? 'symlink' : 'file',
    unpacked,
    packed,
    dataStart: blockStart + headerSize,
    stored: method === 0x30,
    encrypted: (flags & RAR4.ENCRYPTED) !== 0,
  };
}

/** A RAR 4 block at `at`; bytes too few for a block end the archive. */
async function rar4Block(headers: Headers, at: number): Promise<Block> {
  const start = await headers.read(at, 7);
  if (start.length < 7) return { next: at, stop: 'end' };
  const type = start[2]!;
  const flags = start.readUInt16LE(3);
  const headerSize = start.readUInt16LE(5);
  if (headerSize < 7) throw new Error(`a block at ${at} says its header is ${headerSize} bytes`);
  const block = await headers.read(at, headerSize);
  if (headerSize > block.length) throw new Error(`the block at ${at} is cut short`);
  if (type === RAR4.ARCHIVE && flags & RAR4.HEADERS_ENCRYPTED) return { next: at, stop: 'encrypted' };
  if (type === RAR4.END) return { next: at, stop: 'end' };
  if (type === RAR4.FILE) {
    if (headerSize < 7 + RAR4_FILE_FIELDS) throw new Error(`the file header at ${at} is cut short`);
    const file = rar4File(block, flags, at, headerSize);
    return { next: at + headerSize + file.packed, file };
  }
  const added = flags & RAR4.LONG_BLOCK && headerSize >= 11 ? block.readUInt32LE(7) : 0;
  return { next: at + headerSize + added };
}

/**
 * List the entries of the RAR in `source` into `ctx`, with `/` for the `\` RAR 4 writes between
 * folders: its blocks one after the other, each read by its version's reader. Throws when a header
 * is cut short or says what cannot be.
 */
export async function walkRar(
  source: ByteSource,
  ctx: ArchiveContext,
  depth: number,
  prefix: string,
  openNested: OpenNested,
): Promise<void> {
  const signature = await source.read(0, RAR5_SIGNATURE.length);
  const rar5 = signature.equals(RAR5_SIGNATURE);
  if (!rar5 && !signature.subarray(0, RAR4_SIGNATURE.length).equals(RAR4_SIGNATURE))
    throw new Error('not a RAR archive (no Rar! signature)');
  const readBlock = rar5 ? rar5Block : rar4Block;
  const headers = new Headers(source);
  for (let at = rar5 ? RAR5_SIGNATURE.length : RAR4_SIGNATURE.length; at < source.size; ) {
    const block = await readBlock(headers, at);
    if (block.stop === 'encrypted') return headersEncrypted(ctx);
    if (block.stop === 'end') return;
    if (block.file && !(await addFile(block.file, source, ctx, depth, prefix, openNested))) return;
    if (block.next > source.size)
      throw new Error(`the data of the block at ${at} runs past the end of the archive`);
    at = block.next;
  }
}
