/**
 * A regular file on disk as a ByteSource: the handle opened without following a link (and
 * checked to be where its path says, by the caller), read by position. Reads are synchronous:
 * one system call per piece, no round trip through the thread pool.
 */
import { closeSync } from 'node:fs';
import type { ByteSource } from '../model/types.js';
import { readFully, readFullyInto } from './read.js';

/**
 * Small reads land here first and are copied out at their real length: most uploads are smaller
 * than the head bound, and a buffer of the bound per file was garbage the size of the bound.
 * One per thread (each worker loads this module); the copy is what a caller keeps.
 */
const SCRATCH_BYTES = 64 * 1024;
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

export class LocalFile implements ByteSource {
  constructor(
    readonly fd: number,
    readonly size: number,
  ) {}

  async read(position: number, length: number): Promise<Buffer> {
    if (length > SCRATCH_BYTES) return readFully(this.fd, length, position);
    return Buffer.from(readFullyInto(this.fd, scratch.subarray(0, length), position));
  }

  async readInto(target: Buffer, position: number): Promise<Buffer> {
    return readFullyInto(this.fd, target, position);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The source as pieces of `chunkBytes`, from the start to its end. */
export async function* chunksOf(source: ByteSource, chunkBytes = 256 * 1024): AsyncGenerator<Buffer> {
  for (let position = 0; ; ) {
    const piece = await source.read(position, chunkBytes);
    if (piece.length === 0) return;
    position += piece.length;
    yield piece;
  }
}
