import { readSync } from 'node:fs';
import type { ByteSource } from '../model/types.js';
import { giveBack, takeScratch } from './scratch.js';

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

/**
 * An item's first `end` bytes, a piece of up to `pieceBytes` at a time, each piece starting
 * `overlap` bytes before the previous one ended (a token cut by one piece's end is whole in the
 * next), with its offset in the item. The pieces share one reused buffer: each is valid until
 * the next is asked for.
 */
export async function* overlappingPieces(
  source: ByteSource,
  end: number,
  pieceBytes: number,
  overlap: number,
): AsyncGenerator<{ piece: Buffer; start: number }> {
  const buffer = takeScratch(Math.min(pieceBytes + overlap, end));
  try {
    for (let position = 0; position < end; ) {
      const start = Math.max(0, position - overlap);
      const piece = await readPiece(source, buffer, start, Math.min(pieceBytes + overlap, end - start));
      if (piece.length === 0) return;
      yield { piece, start };
      position = start + piece.length;
    }
  } finally {
    giveBack(buffer);
  }
}
