/**
 * What an item's bytes say, read only through its ByteSource: detection, head and tail scans,
 * markup, PDF and archives under named bounds, and the content hash. Nothing here knows where
 * the bytes come from (a file, a bucket's object, an upload in flight).
 */
import { createHash } from 'node:crypto';
import type { ByteSource, InspectedFile } from '../model/types.js';
import { inspectContent, noteIncomplete } from './content.js';
import { detectKnown, detectWithFileType, NEEDS_FILE_TYPE } from './detect.js';
import { imageDimensions } from './dimensions.js';
import type { Limits } from './limits.js';
import { readPiece } from './read.js';
import { giveBack, takeScratch } from './scratch.js';

/**
 * What a regular file's bytes say, read through `source`: the head (detection, content scans),
 * the tail (where appended payloads hide), then markup, PDF and archive bounds. A failure of the
 * deeper readers is recorded on the file, never thrown.
 */
export async function inspectBytes(source: ByteSource, file: InspectedFile, limits: Limits): Promise<void> {
  const { maxSniffBytes, maxTailBytes } = limits;
  let tail: Buffer | undefined;
  if (source.size <= maxSniffBytes + maxTailBytes) {
    // Small enough for one read: the head, and the rest of it as the tail.
    const read = await source.read(0, maxSniffBytes + maxTailBytes);
    file.head = read.subarray(0, maxSniffBytes);
    if (read.length > maxSniffBytes) tail = read.subarray(maxSniffBytes);
  } else {
    file.head = await source.read(0, maxSniffBytes);
    tail = await source.read(source.size - maxTailBytes, maxTailBytes);
  }
  const head = file.head;
  const known = detectKnown(head);
  if (known === NEEDS_FILE_TYPE) {
    try {
      const detected = await detectWithFileType(head);
      if (detected) file.detected = detected;
    } catch {
      // A parser failure on hostile bytes leaves the type unknown; the rules treat it as such.
    }
  } else if (known) file.detected = known;
  const dimensions = imageDimensions(head, file.detected?.ext);
  if (dimensions) file.dimensions = dimensions;
  try {
    await inspectContent(source, file, tail, limits);
  } catch (error) {
    noteIncomplete(file, {
      limit: 'read-error',
      detail: error instanceof Error ? error.message : String(error),
    });
  }
}

/** What identifies an item's content in fingerprints: its sha256, or past maxHashBytes a sampled digest. */
export interface ContentIdentity {
  /** sha256 of the whole item, up to maxHashBytes. */
  sha256?: string;
  /** What fingerprints use: the sha256, or `sampled:` a digest of the size, first and last MiB. */
  key?: string;
}

/** How much of each end of a large item the sampled digest reads. */
const SAMPLE_BYTES = 1024 * 1024;

/**
 * The content identity of an item with a finding. Up to maxHashBytes, its sha256; past it, the
 * whole file is not read (a nightly scan would hash every large video again): a digest of its
 * size and its first and last MiB keeps a renamed large file matched as moved, and the finding
 * carries no sha256.
 */
export async function contentIdentity(source: ByteSource, limits: Limits): Promise<ContentIdentity> {
  if (source.size <= limits.maxHashBytes) {
    const sha256 = await hashSource(source, limits);
    return sha256 === undefined ? {} : { sha256, key: sha256 };
  }
  const buffer = takeScratch(SAMPLE_BYTES);
  try {
    const hash = createHash('sha256').update(`${source.size}\0`);
    hash.update(await readPiece(source, buffer, 0, SAMPLE_BYTES));
    hash.update(await readPiece(source, buffer, Math.max(0, source.size - SAMPLE_BYTES), SAMPLE_BYTES));
    return { key: `sampled:${hash.digest('hex')}` };
  } catch {
    return {};
  } finally {
    giveBack(buffer);
  }
}

/** sha256 of a whole item, or undefined past maxHashBytes or on a read error. */
async function hashSource(source: ByteSource, limits: Limits): Promise<string | undefined> {
  if (source.size > limits.maxHashBytes) return undefined;
  const hash = createHash('sha256');
  // Pieces no larger than what is left (plus one byte, to see a file that grew): a small file
  // is one small read.
  const buffer = takeScratch(Math.min(HASH_PIECE_BYTES, source.size + 1));
  let position = 0;
  try {
    for (;;) {
      const piece = await readPiece(source, buffer, position, Math.max(source.size - position, 0) + 1);
      if (piece.length === 0) break;
      hash.update(piece);
      position += piece.length;
      if (position > limits.maxHashBytes) return undefined;
    }
  } catch {
    return undefined;
  } finally {
    giveBack(buffer);
  }
  return hash.digest('hex');
}

const HASH_PIECE_BYTES = 256 * 1024;
