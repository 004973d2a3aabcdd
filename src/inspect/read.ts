import { readSync } from 'node:fs';
import type { ByteSource } from '../model/types.js';

/** Read up to `length` bytes at `position` from an open file, retrying short reads; fewer only at EOF. */
export function readFully(fd: number, length: number, position = 0): Buffer {
  return readFullyInto(fd, Buffer.allocUnsafe(length), position);
}

/** Fill `target` from an open file at `position`, retrying short reads; the filled part. */
export function readFullyInto(fd: number, target: Buffer, position: number): Buffer {
  let filled = 0;
  while (filled < target.length) {
    const n = readSync(fd, target, filled, target.length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return target.subarray(0, filled);
}

/**
 * The next piece of a large item, read into `buffer` when the source can (the caller reuses it
 * for every piece: a 16 MiB PDF or hash read is one buffer, not sixty-four), or in a buffer of
 * its own otherwise. Valid until the next call with the same buffer.
 */
export function readPiece(
  source: ByteSource,
  buffer: Buffer,
  position: number,
  length: number,
): Promise<Buffer> {
  const target = buffer.subarray(0, Math.min(length, buffer.length));
  return source.readInto ? source.readInto(target, position) : source.read(position, target.length);
}
