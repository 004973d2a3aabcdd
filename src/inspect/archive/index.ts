/**
 * Archives, inspected without extracting anything: zip (and zip-based formats) through yauzl,
 * tar, gzip and xz streamed, cabinets listed by their file table, RARs by their headers. Every
 * byte read from an entry is charged to maxInflateBytes.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ArchiveEntryFacts, ArchiveFacts, ByteSource, DetectedType } from '../../model/types.js';
import { peek } from '../../util/streams.js';
import type { CfbFile } from '../cfb.js';
import type { Limits } from '../limits.js';
import { chunksOf } from '../local-file.js';
import { MemoryBytes } from '../memory-bytes.js';
import { walkCab } from './cab.js';
import {
  ArchiveContext,
  addPackagedFile,
  type NestedFormat,
  nestedFormat,
  type OpenNested,
  readEntryContent,
  type StreamFormat,
} from './context.js';
import { walkRar } from './rar.js';
import { walkTar } from './tar.js';
import { walkZipBuffer, walkZipSource } from './zip.js';

export { nestedFormat } from './context.js';

const TAR_MAGIC_AT = 257;

interface Inflating {
  out: Readable;
  /**
   * Compressed bytes the decoder has taken so far, where it says (gzip); a stream cut by the
   * inflate budget is then judged by the ratio of what was read, not of the whole file.
   */
  taken(): number | undefined;
}

/**
 * What a compressed stream inflates to, as it is read (a bomb is stopped by the inflate budget,
 * never inflated ahead of it). gzip is Node's own; xz comes from xz-decompress (the xz project's
 * embedded decoder compiled to WebAssembly, pulled a chunk at a time), loaded only when an archive
 * needs it. Destroying the output stops the source.
 */
async function inflated(format: StreamFormat, source: Readable): Promise<Inflating> {
  if (format === 'gzip') {
    const gunzip = createGunzip();
    source.on('error', (error) => gunzip.destroy(error));
    return { out: source.pipe(gunzip), taken: () => gunzip.bytesWritten };
  }
  // A UMD bundle: Node's ESM loader sees its exports as the default one.
  const { default: xz } = await import('xz-decompress');
  const out = Readable.fromWeb(new xz.XzReadableStream(Readable.toWeb(source)) as never);
  out.on('close', () => source.destroy());
  return { out, taken: () => undefined };
}

/** Chunks with the first one at least `bytes` long (or the whole stream, if shorter). */
async function* firstAtLeast(chunks: AsyncIterable<Uint8Array>, bytes: number): AsyncGenerator<Buffer> {
  let head: Buffer[] = [];
  let held = 0;
  for await (const chunk of chunks) {
    const piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (head.length === 0 && held >= bytes) {
      yield piece;
      continue;
    }
    head.push(piece);
    held += piece.length;
    if (held >= bytes) {
      yield Buffer.concat(head);
      head = [];
    }
  }
  if (head.length > 0) yield Buffer.concat(head);
}

/** A compressed stream holds either a tar (tar.gz, tar.xz) or one compressed file, named after the archive. */
async function walkStream(
  format: StreamFormat,
  source: Readable,
  ctx: ArchiveContext,
  depth: number,
  prefix: string,
  innerName: string,
  openNested: OpenNested,
): Promise<void> {
  const { out: inflating, taken } = await inflated(format, source);
  const peeked = await peek(firstAtLeast(inflating, TAR_MAGIC_AT + 5));
  if (!peeked) return;
  const { first: head, all: rest } = peeked;
  if (
    head.length > TAR_MAGIC_AT + 5 &&
    head.subarray(TAR_MAGIC_AT, TAR_MAGIC_AT + 5).toString('latin1') === 'ustar'
  ) {
    try {
      await walkTar(rest, ctx, depth, prefix, openNested);
    } finally {
      inflating.destroy();
    }
    return;
  }
  const facts: ArchiveEntryFacts = { path: prefix + innerName, kind: 'file', declaredSize: 0, depth };
  if (!ctx.add(facts)) return;
  let cut = false;
  await readEntryContent(ctx, facts, rest, openNested, () => {
    cut = true;
    inflating.destroy();
  });
  inflating.destroy();
  facts.declaredSize = facts.actualSize ?? 0;
  const compressed = taken();
  if (cut && compressed !== undefined && compressed > 0) facts.compressedSize = compressed;
}

/** What a compressed file holds is named after it: `site.tgz` and `site.tar.xz` hold `site.tar`, `notes.txt.xz` `notes.txt`. */
const innerNameOf = (name: string): string =>
  name.replace(/\.(?:t?gz|gzip|t?xz)$/i, (ext) => (/^\.t(?:gz|xz)$/i.test(ext) ? '.tar' : '')) || 'data';

function nestedOpener(ctx: ArchiveContext): OpenNested {
  const open: OpenNested = async (bytes, format, depth, prefix) => {
    try {
      if (format === 'zip') await walkZipBuffer(bytes, ctx, depth, prefix, open);
      else if (format === 'tar') await walkTar(Readable.from([bytes]), ctx, depth, prefix, open);
      else if (format === 'cab') await walkCab(new MemoryBytes(bytes), ctx, depth, prefix);
      else if (format === 'rar') await walkRar(new MemoryBytes(bytes), ctx, depth, prefix, open);
      else
        await walkStream(
          format,
          Readable.from([bytes]),
          ctx,
          depth,
          prefix,
          innerNameOf(prefix.slice(0, -1).split('/').at(-1) ?? ''),
          open,
        );
    } catch (error) {
      ctx.incomplete.push({
        limit: 'read-error',
        detail: `${prefix.slice(0, -1)}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  };
  return open;
}

/**
 * A zip up to this size is read in one piece and walked in memory: one read instead of one per
 * central directory, local header and entry head. A larger one is read by range: most of its
 * bytes are entry data that only the entries' heads are read of.
 */
const ZIP_IN_ONE_READ_BYTES = 1024 * 1024;

export interface ArchiveResult {
  facts: ArchiveFacts;
  ctx: ArchiveContext;
}

/**
 * The files a legacy Office file (a Compound File) packages as OLE objects, as the entries of an
 * archive: `invoice.doc!invoice.pdf.exe`. Undefined when it packages none.
 */
export async function packagedArchive(cfb: CfbFile, limits: Limits): Promise<ArchiveResult | undefined> {
  const ctx = new ArchiveContext(limits);
  await addPackagedFile(ctx, cfb, '', 1);
  return ctx.entries.length === 0 ? undefined : { facts: ctx.facts('ole'), ctx };
}

/** Inspect the archive read from `source`, detected as `detected`; `name` names a gzip's inner file. */
export async function inspectArchive(
  source: ByteSource,
  detected: DetectedType,
  name: string,
  limits: Limits,
): Promise<ArchiveResult | undefined> {
  const format: NestedFormat | undefined = nestedFormat(detected);
  if (!format) return undefined;
  const ctx = new ArchiveContext(limits);
  const open = nestedOpener(ctx);
  let error: string | undefined;
  try {
    if (format === 'zip' && source.size <= Math.min(ZIP_IN_ONE_READ_BYTES, limits.maxNestedArchiveBytes))
      await walkZipBuffer(await source.read(0, source.size), ctx, 1, '', open);
    else if (format === 'zip') await walkZipSource(source, ctx, open);
    else if (format === 'tar') await walkTar(chunksOf(source), ctx, 1, '', open);
    else if (format === 'cab') await walkCab(source, ctx, 1, '');
    else if (format === 'rar') await walkRar(source, ctx, 1, '', open);
    else await walkStream(format, Readable.from(chunksOf(source)), ctx, 1, '', innerNameOf(name), open);
  } catch (thrown) {
    error = thrown instanceof Error ? thrown.message : String(thrown);
  }
  return { facts: ctx.facts(format, error), ctx };
}
