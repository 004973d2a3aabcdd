import { Readable } from 'node:stream';
import { constants, inflateRawSync } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { ArchiveEntryFacts, ByteSource } from '../../model/types.js';
import { printableBytes } from '../../util/escape.js';
import { detectType } from '../detect.js';
import {
  type ArchiveContext,
  isDdePart,
  type OpenNested,
  opensInside,
  readEntryContent,
  scanDdePart,
  scanEntryHead,
} from './context.js';

/** Bytes of the zip itself from `position`: from memory, or through the ByteSource. */
type ReadRaw = (position: number, length: number) => Promise<Buffer>;

// Names are decoded by us, not yauzl: with decodeStrings it stops at the first `../` entry,
// which is exactly what we must report. Sizes are checked by us for the same reason.
const OPTIONS = {
  lazyEntries: true,
  autoClose: false,
  decodeStrings: false,
  validateEntrySizes: false,
  strictFileNames: false,
};

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

type RawEntry = Entry & { fileNameRaw: Buffer; extraFields: { id: number; data: Buffer }[] };
/** What a local file header says that the walk uses. */
interface LocalHeader {
  fileDataStart: number;
  generalPurposeBitFlag: number;
  fileName: Buffer;
}
/** yauzl 3's readLocalFileHeader, which the @types package (written for yauzl 2) does not declare. */
interface LocalHeaderReader {
  readLocalFileHeader(
    entry: Entry,
    options: { minimal: false },
    callback: (err: Error | null, header: LocalHeader) => void,
  ): void;
}
const lowLevel = yauzl as unknown as {
  getFileNameLowLevel(flags: number, raw: Buffer, extra: unknown, strict: boolean): string;
};

/** A name's raw bytes as text: UTF-8 when the flag says so, else as yauzl reads CP437 and extra fields. */
function decodedName(flags: number, raw: Buffer, extraFields: { id: number; data: Buffer }[]): string {
  if ((flags & 0x800) !== 0) return printableBytes(raw);
  return lowLevel.getFileNameLowLevel(flags, raw, extraFields, false);
}

const entryName = (entry: RawEntry): string =>
  decodedName(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields);

function openStream(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))),
  );
}

/** List (and read, within the budget) every entry of a zip opened by yauzl. */
async function walk(
  zip: ZipFile,
  ctx: ArchiveContext,
  depth: number,
  prefix: string,
  openNested: OpenNested,
  readRaw: ReadRaw,
  bytes?: Buffer,
): Promise<void> {
  const spans: [number, number][] = [];
  await new Promise<void>((resolve, reject) => {
    let stopped = false;
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (raw: RawEntry) => {
      const name = entryName(raw);
      const mode = (raw.externalFileAttributes >>> 16) & 0xffff;
      const kind: ArchiveEntryFacts['kind'] = name.endsWith('/')
        ? 'directory'
        : (mode & S_IFMT) === S_IFLNK
          ? 'symlink'
          : 'file';
      const facts: ArchiveEntryFacts = {
        path: prefix + name,
        kind,
        declaredSize: raw.uncompressedSize,
        compressedSize: raw.compressedSize,
        depth,
      };
      spans.push([raw.relativeOffsetOfLocalHeader, raw.compressedSize]);
      // Stop by no longer asking for entries: close() would close the caller's fd.
      if (stopped || !ctx.add(facts)) {
        stopped = true;
        return resolve();
      }
      if (kind !== 'directory' && raw.isEncrypted()) ctx.encrypted.push(facts.path);
      const readable = kind !== 'directory' && !raw.isEncrypted() && ctx.budgetLeft > 0;
      const next = readable
        ? readContent(zip, raw, facts, ctx, openNested, readRaw, prefix, bytes)
        : Promise.resolve();
      next.then(
        () => zip.readEntry(),
        (error: Error) => {
          facts.actualSize ??= -1;
          ctx.incomplete.push({ limit: 'read-error', detail: `${facts.path}: ${error.message}` });
          zip.readEntry();
        },
      );
    });
    zip.readEntry();
  });
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i - 1]![0] + spans[i - 1]![1] > spans[i]![0]) ctx.overlapping = true;
  }
}

/** An entry's local header: where its data starts (after a name and extra field that vary), and its name. */
function localHeader(zip: ZipFile, raw: Entry): Promise<LocalHeader> {
  return new Promise((resolve, reject) =>
    (zip as ZipFile & LocalHeaderReader).readLocalFileHeader(raw, { minimal: false }, (err, h) =>
      err ? reject(err) : resolve(h),
    ),
  );
}

/**
 * Note on `facts` the name the local header gives an entry when it is not the central
 * directory's: a zip can show scanners one name and streaming extractors another.
 */
function noteLocalName(raw: RawEntry, header: LocalHeader, facts: ArchiveEntryFacts, prefix: string): void {
  if (header.fileName.equals(raw.fileNameRaw)) return;
  facts.localPath = prefix + decodedName(header.generalPurposeBitFlag, header.fileName, []);
}

/**
 * Compressed bytes read past the head bound to inflate an entry's head: deflate never expands
 * data by more than a few bytes per block, so this many give the whole head of anything.
 */
const HEAD_INPUT_SLACK = 1024;

/** Compressed bytes allowed for a block header (a dynamic Huffman table) before the data it codes. */
const BLOCK_HEADER_BYTES = 512;

/**
 * The compressed bytes first read for `want` bytes of an entry: what its central directory's
 * sizes say `want` takes at its average ratio, a quarter more, and a block header; never more
 * than `most`. Inflating is paid per byte out: a text entry's head read as `most` compressed
 * bytes inflates to four or five times the head, all of it thrown away. A ratio that lies (a
 * bomb declaring a small size) only brings the read back up to `most`.
 */
function firstInput(raw: Entry, want: number, most: number): number {
  const { compressedSize, uncompressedSize } = raw;
  const byRatio =
    uncompressedSize > 0
      ? Math.ceil((want * 1.25 * compressedSize) / uncompressedSize) + BLOCK_HEADER_BYTES
      : most;
  return Math.min(compressedSize, most, byRatio);
}

/**
 * The first `want` bytes of a stored or deflated entry, from the start of its data only: a
 * deflate stream inflates from its beginning, so a cut-off prefix flushed gives the start. The
 * first read is sized by the entry's ratio (at most `most` compressed bytes); while that
 * inflates to less than `want`, twice as many.
 */
async function entryStart(
  raw: Entry,
  start: number,
  readRaw: ReadRaw,
  want: number,
  most: number,
): Promise<Buffer> {
  if (raw.compressionMethod === 0) return readRaw(start, Math.min(raw.compressedSize, want));
  for (let length = firstInput(raw, want, most); ; length = Math.min(raw.compressedSize, length * 2)) {
    const out = inflateRawSync(await readRaw(start, length), { finishFlush: constants.Z_SYNC_FLUSH });
    if (out.length >= want || length >= raw.compressedSize) return out.subarray(0, want);
  }
}

/** An entry's head: what its type is detected from (mostly one read and one inflate). */
const entryHead = (raw: Entry, start: number, ctx: ArchiveContext, readRaw: ReadRaw): Promise<Buffer> =>
  entryStart(raw, start, readRaw, ctx.limits.maxSniffBytes, ctx.limits.maxSniffBytes + HEAD_INPUT_SLACK);

/**
 * A Word field part or Excel link part, up to maxMarkupBytes: a long document.xml is not
 * inflated whole for the fields at its start. XML deflates well, so at most a quarter of the
 * bound is the first read.
 */
const ddePartStart = (raw: Entry, start: number, ctx: ArchiveContext, readRaw: ReadRaw): Promise<Buffer> =>
  entryStart(
    raw,
    start,
    readRaw,
    ctx.limits.maxMarkupBytes,
    (ctx.limits.maxMarkupBytes >>> 2) + HEAD_INPUT_SLACK,
  );

/**
 * Whether an entry is read whole rather than by its head. A relationship part (.rels) is read
 * for what it loads from outside. A deflated entry whose compressed data is larger than what it
 * declares (more than deflate's own overhead) lies about its size, the trick of bombs that
 * fool extractors checking declared sizes: it is inflated, within the budget, to measure it.
 * Everything else is judged by its head (its type) and its central directory record (its name,
 * sizes and ratio); a head that shows an archive is then read whole to be opened.
 */
function readWhole(raw: Entry, path: string): boolean {
  if (raw.compressionMethod !== 0 && raw.compressionMethod !== 8) return true;
  if (path.toLowerCase().endsWith('.rels')) return true;
  const declared = raw.uncompressedSize;
  return raw.compressionMethod === 8 && raw.compressedSize > declared + (declared >>> 10) + 64;
}

/**
 * An entry's bytes straight from an archive held in memory: stored data sliced, deflated data
 * inflated synchronously within the remaining budget. Undefined when a stream is needed instead
 * (another method); a RangeError when the entry inflates past the budget.
 */
function entryBytes(raw: Entry, start: number, bytes: Buffer, ctx: ArchiveContext): Buffer | undefined {
  if (raw.compressionMethod !== 0 && raw.compressionMethod !== 8) return undefined;
  const data = bytes.subarray(start, start + raw.compressedSize);
  return raw.compressionMethod === 0
    ? data
    : inflateRawSync(data, { maxOutputLength: Math.max(1, ctx.budgetLeft) });
}

async function readContent(
  zip: ZipFile,
  raw: RawEntry,
  facts: ArchiveEntryFacts,
  ctx: ArchiveContext,
  openNested: OpenNested,
  readRaw: ReadRaw,
  prefix: string,
  bytes?: Buffer,
): Promise<void> {
  const header = await localHeader(zip, raw);
  noteLocalName(raw, header, facts, prefix);
  const dataStart = header.fileDataStart;
  if (facts.kind !== 'symlink' && !readWhole(raw, facts.path)) {
    // A Word field part or Excel link part is read past its head, for DDE calls.
    const ddePart = isDdePart(facts.path);
    const start = await (ddePart ? ddePartStart : entryHead)(raw, dataStart, ctx, readRaw);
    ctx.consumed += start.length;
    if (ddePart) scanDdePart(ctx, facts, start);
    const head = start.subarray(0, ctx.limits.maxSniffBytes);
    // Stored data is exactly its compressed bytes: its real size needs no read.
    if (raw.compressionMethod === 0) facts.actualSize = raw.compressedSize;
    const detected = head.length > 0 ? await detectType(head) : undefined;
    if (detected) facts.detected = detected;
    scanEntryHead(ctx, facts, head, detected);
    if (!opensInside(facts, detected, ctx.limits)) return;
  }
  if (bytes && facts.kind !== 'symlink') {
    let data: Buffer | undefined;
    try {
      data = entryBytes(raw, dataStart, bytes, ctx);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      facts.actualSize = Math.max(facts.declaredSize, ctx.budgetLeft + 1);
      ctx.consumed += ctx.budgetLeft;
      ctx.hit('maxInflateBytes', 'archive entries past the inflate budget were not read');
      return;
    }
    if (data) return readEntryContent(ctx, facts, [data], openNested, () => undefined);
  }
  const stream = await openStream(zip, raw);
  if (facts.kind === 'symlink') {
    const target: Buffer[] = [];
    for await (const chunk of stream) {
      target.push(chunk as Buffer);
      if (Buffer.concat(target).length > 4096) break;
    }
    stream.destroy();
    facts.linkTarget = printableBytes(Buffer.concat(target).subarray(0, 4096));
    return;
  }
  await readEntryContent(ctx, facts, stream, openNested, () => stream.destroy());
}

function opened(open: (cb: (err: Error | null, zip: ZipFile) => void) => void): Promise<ZipFile> {
  return new Promise((resolve, reject) => open((err, zip) => (err ? reject(err) : resolve(zip))));
}

/**
 * yauzl's random access through ranged reads: of a ByteSource (the central directory and entries
 * by range) or of a zip held in memory. yauzl's own readers pipe a stream per read, or (for a
 * buffer) answer every read through setImmediate, a turn of the event loop each: about eight per
 * small zip, which was most of the ~30 µs a zip cost. Here a read is one call, answered when its
 * promise settles. (yauzl documents `read` as overridable.)
 */
class RangeReader extends yauzl.RandomAccessReader {
  constructor(private readonly readRaw: ReadRaw) {
    super();
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    this.readRaw(position, Math.min(length, buffer.length - offset)).then(
      (piece) => callback(null, piece.copy(buffer, offset)),
      (error: Error) => callback(error),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const readRaw = this.readRaw;
    return Readable.from(
      (async function* () {
        for (let position = start; position < end; ) {
          const piece = await readRaw(position, Math.min(256 * 1024, end - position));
          if (piece.length === 0) return;
          position += piece.length;
          yield piece;
        }
      })(),
    );
  }
}

export async function walkZipSource(
  source: ByteSource,
  ctx: ArchiveContext,
  openNested: OpenNested,
): Promise<void> {
  const readRaw: ReadRaw = (position, length) => source.read(position, length);
  const zip = await opened((cb) =>
    yauzl.fromRandomAccessReader(new RangeReader(readRaw), source.size, OPTIONS, cb),
  );
  await walk(zip, ctx, 1, '', openNested, readRaw);
}

export async function walkZipBuffer(
  bytes: Buffer,
  ctx: ArchiveContext,
  depth: number,
  prefix: string,
  openNested: OpenNested,
): Promise<void> {
  const readRaw: ReadRaw = async (position, length) => bytes.subarray(position, position + length);
  const zip = await opened((cb) =>
    yauzl.fromRandomAccessReader(new RangeReader(readRaw), bytes.length, OPTIONS, cb),
  );
  await walk(zip, ctx, depth, prefix, openNested, readRaw, bytes);
}
