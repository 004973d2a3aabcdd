/**
 * A regular file on disk as a ByteSource: the handle opened without following a link (and
 * checked to be where its path says, by the caller), read by position. Reads are synchronous:
 * one system call per piece, no round trip through the thread pool.
 */
import { closeSync } from 'node:fs';
import type { ByteSource } from '../model/types.js';
import { readFully } from './read.js';

export class LocalFile implements ByteSource {
  constructor(
    readonly fd: number,
    readonly size: number,
  ) {}

  async read(position: number, length: number): Promise<Buffer> {
    return readFully(this.fd, length, position);
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
