/**
 * The pixel size an image declares in its header, read without decoding a pixel: what a
 * thumbnailer or an image library will allocate when it opens the file.
 */

export interface Dimensions {
  width: number;
  height: number;
}

/** JPEG start-of-frame markers (SOF0-SOF15 but DHT C4, JPG C8 and DAC CC). */
const isStartOfFrame = (marker: number): boolean =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegDimensions(head: Uint8Array): Dimensions | undefined {
  const view = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  // Segments after SOI: FF marker, then a big-endian length that counts itself.
  for (let at = 2; at + 9 < view.length; ) {
    if (view[at] !== 0xff) return undefined;
    const marker = view[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (isStartOfFrame(marker))
      return { height: view.readUInt16BE(at + 5), width: view.readUInt16BE(at + 7) };
    at += 2 + view.readUInt16BE(at + 2);
  }
  return undefined;
}

/** The declared size of a PNG, GIF, JPEG, BMP or WebP (VP8X) head; undefined for others. */
export function imageDimensions(head: Uint8Array, ext: string | undefined): Dimensions | undefined {
  const view = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (view.length < 30) return undefined;
  switch (ext) {
    case 'png':
    case 'apng':
      return view.toString('latin1', 12, 16) === 'IHDR'
        ? { width: view.readUInt32BE(16), height: view.readUInt32BE(20) }
        : undefined;
    case 'gif':
      return { width: view.readUInt16LE(6), height: view.readUInt16LE(8) };
    case 'jpg':
      return jpegDimensions(head);
    case 'bmp':
      return { width: Math.abs(view.readInt32LE(18)), height: Math.abs(view.readInt32LE(22)) };
    case 'webp':
      return view.toString('latin1', 12, 16) === 'VP8X'
        ? { width: 1 + view.readUIntLE(24, 3), height: 1 + view.readUIntLE(27, 3) }
        : undefined;
    default:
      return undefined;
  }
}
