import { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { ArchiveEntryFacts, ByteSource } from '../../model/types.js';
import { printableBytes } from '../../util/escape.js';
import { type ArchiveContext, type OpenNested, readEntryContent } from './context.js';

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
/** yauzl 3's readLocalFileHeader, which the @types package (written for yauzl 2) does not declare. */
interface LocalHeaderReader {
  readLocalFileHeader(
    entry: Entry,
    options: { minimal: true },
    callback: (err: Error | null, header: { fileDataStart: number }) => void,
  ): void;
}
const lowLevel = yauzl as unknown as {
  getFileNameLowLevel(flags: number, raw: Buffer, extra: unknown, strict: boolean): string;
};

function entryName(entry: RawEntry): string {
  const utf8 = (entry.generalPurposeBitFlag & 0x800) !== 0;
  if (utf8) return printableBytes(entry.fileNameRaw);
  return lowLevel.getFileNameLowLevel(
    entry.generalPurposeBitFlag,
    entry.fileNameRaw,
    entry.extraFields,
    false,
  );
}

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
      const next = readable ? readContent(zip, raw, facts, ctx, openNested, bytes) : Promise.resolve();
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

/**
 * An entry's bytes straight from an archive held in memory: stored data sliced, deflated data
 * inflated synchronously within the remaining budget. Undefined when a stream is needed instead
 * (another method); a RangeError when the entry inflates past the budget.
 */
async function entryBytes(
  zip: ZipFile,
  raw: Entry,
  bytes: Buffer,
  ctx: ArchiveContext,
): Promise<Buffer | undefined> {
  if (raw.compressionMethod !== 0 && raw.compressionMethod !== 8) return undefined;
  const header = await new Promise<{ fileDataStart: number }>((resolve, reject) =>
    (zip as ZipFile & LocalHeaderReader).readLocalFileHeader(raw, { minimal: true }, (err, h) =>
      err ? reject(err) : resolve(h),
    ),
  );
  const data = bytes.subarray(header.fileDataStart, header.fileDataStart + raw.compressedSize);
  return raw.compressionMethod === 0
    ? data
    : inflateRawSync(data, { maxOutputLength: Math.max(1, ctx.budgetLeft) });
}

async function readContent(
  zip: ZipFile,
  raw: Entry,
  facts: ArchiveEntryFacts,
  ctx: ArchiveContext,
  openNested: OpenNested,
  bytes?: Buffer,
): Promise<void> {
  if (bytes && facts.kind !== 'symlink') {
    let data: Buffer | undefined;
    try {
      data = await entryBytes(zip, raw, bytes, ctx);
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

/**
 * A zip held in memory, for yauzl. yauzl's own buffer reader answers every read through
 * setImmediate, a turn of the event loop each: about eight per small zip, which was most of the
 * ~30 µs a zip cost. These reads answer in a microtask: still asynchronous, as fs.read is, and
 * clamped at the end of the bytes as it is. (yauzl documents `read` as overridable.)
 */
class MemoryReader extends yauzl.RandomAccessReader {
  constructor(private readonly bytes: Buffer) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from([this.bytes.subarray(start, end)], { objectMode: false });
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    const end = Math.min(position + Math.min(length, buffer.length - offset), this.bytes.length);
    const copied = position < end ? this.bytes.copy(buffer, offset, position, end) : 0;
    queueMicrotask(() => callback(null, copied));
  }
}

function opened(open: (cb: (err: Error | null, zip: ZipFile) => void) => void): Promise<ZipFile> {
  return new Promise((resolve, reject) => open((err, zip) => (err ? reject(err) : resolve(zip))));
}

/** yauzl's random access through a ByteSource: the central directory and entries by range. */
class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: ByteSource) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const source = this.source;
    return Readable.from(
      (async function* () {
        for (let position = start; position < end; ) {
          const piece = await source.read(position, Math.min(256 * 1024, end - position));
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
  const zip = await opened((cb) =>
    yauzl.fromRandomAccessReader(new SourceReader(source), source.size, OPTIONS, cb),
  );
  await walk(zip, ctx, 1, '', openNested);
}

export async function walkZipBuffer(
  bytes: Buffer,
  ctx: ArchiveContext,
  depth: number,
  prefix: string,
  openNested: OpenNested,
): Promise<void> {
  const zip = await opened((cb) =>
    yauzl.fromRandomAccessReader(new MemoryReader(bytes), bytes.length, OPTIONS, cb),
  );
  await walk(zip, ctx, depth, prefix, openNested, bytes);
}
