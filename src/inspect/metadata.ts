/**
 * Where an image keeps its metadata: a JPEG's segments before its scan data (EXIF and XMP in
 * APP1, comments in COM), a PNG's chunks before its image data (tEXt, iTXt, zTXt). Pages that
 * print metadata, and PHP's include of an "image", read what is there; it can run long past the
 * head that detection reads (an XMP packet, a thumbnail before a comment).
 */
import type { ActiveHit, ByteSource } from '../model/types.js';

const PNG_SIGNATURE_BYTES = 8;

/**
 * How far the metadata of a JPEG or PNG runs from the start, walking segment or chunk headers
 * (4 or 8 bytes each) through `read`, never past `limit`.
 */
async function metadataEnd(
  ext: 'jpg' | 'png',
  read: (position: number, length: number) => Promise<Buffer>,
  limit: number,
): Promise<number> {
  if (ext === 'jpg') {
    let at = 2;
    while (at + 4 <= limit) {
      const header = await read(at, 4);
      if (header.length < 4 || header[0] !== 0xff) return at;
      const marker = header[1]!;
      // Scan data (SOS) or the end: what follows is image data.
      if (marker === 0xda || marker === 0xd9) return at;
      // Markers without a length: padding fill bytes, restart markers, TEM.
      if (marker === 0xff || (marker >= 0xd0 && marker <= 0xd8) || marker === 0x01) {
        at += marker === 0xff ? 1 : 2;
        continue;
      }
      at += 2 + header.readUInt16BE(2);
    }
    return Math.min(at, limit);
  }
  let at = PNG_SIGNATURE_BYTES;
  while (at + 8 <= limit) {
    const header = await read(at, 8);
    if (header.length < 8) return at;
    const type = header.toString('latin1', 4, 8);
    if (type === 'IDAT' || type === 'IEND') return at;
    at += 12 + header.readUInt32BE(0);
  }
  return Math.min(at, limit);
}

/**
 * Bytes read at the start of an image's data (a JPEG's first scan, a PNG's first IDAT chunk):
 * where payloads made to survive re-encoding are put (PHP written into the scan data after SOS,
 * or into the deflated bytes of IDAT, that GD's re-save leaves in place).
 */
const IMAGE_DATA_BYTES = 4096;
/** Image data the head must hold for the start of the data to count as read with it. */
const DATA_IN_HEAD_BYTES = 1024;

/** What of a JPEG or PNG lies past the head: its metadata, and the start of its image data. */
export interface PastHead {
  metadata?: Buffer;
  imageData?: Buffer;
}

/**
 * The metadata bytes of a JPEG or PNG that lie past `head` (from a little before its end, so a
 * marker cut by the head's end is seen whole), within `limit` bytes of the start, and the first
 * IMAGE_DATA_BYTES of its image data; undefined when the head holds the metadata and at least
 * DATA_IN_HEAD_BYTES of the image data.
 */
export async function pastHead(
  source: ByteSource,
  ext: string | undefined,
  head: Buffer,
  limit: number,
): Promise<PastHead | undefined> {
  if (ext !== 'jpg' && ext !== 'png') return undefined;
  if (source.size <= head.length) return undefined;
  const bound = Math.min(source.size, limit);
  const read = async (position: number, length: number): Promise<Buffer> =>
    position + length <= head.length
      ? head.subarray(position, position + length)
      : source.read(position, length);
  const end = await metadataEnd(ext, read, bound);
  // The head already holds the metadata and a good part of the image data's start (most photos):
  // nothing more is read, so a bucket's object costs no request more.
  if (end <= head.length - DATA_IN_HEAD_BYTES) return undefined;
  // One read for both: the metadata past the head, then the start of the image data (unless the
  // metadata was cut at the bound, and where the image data starts is not known).
  const from = Math.max(0, head.length - 64);
  const to = end < bound ? Math.min(source.size, end + IMAGE_DATA_BYTES) : end;
  if (to <= head.length) return undefined;
  const bytes = await source.read(from, to - from);
  const found: PastHead = {};
  if (end > head.length) found.metadata = bytes.subarray(0, end - from);
  if (to > end) found.imageData = bytes.subarray(Math.max(end, from) - from);
  return found;
}

/**
 * A PNG text chunk keyed `profile` (tEXt, zTXt or iTXt): ImageMagick reads the file it names and
 * embeds it in the image it writes (CVE-2022-44268: `profile` = `/etc/passwd`, the thumbnail leaks
 * it). ImageMagick's own chunks are keyed `Raw profile type …`, never `profile` alone.
 */
export function pngProfileChunk(bytes: Uint8Array): ActiveHit | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const match = /(?:tEXt|zTXt|iTXt)profile\0/.exec(text);
  if (!match) return undefined;
  const value = text.slice(match.index + match[0].length, match.index + match[0].length + 60);
  return {
    kind: 'image-script',
    where: 'metadata',
    sample: `profile = ${value.replace(/[^\x20-\x7e]+/g, ' ')}`,
  };
}
