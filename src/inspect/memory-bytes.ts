import type { ByteSource } from '../model/types.js';

/**
 * Bytes held in memory as a ByteSource: an upload in flight (never written to disk), an OLE
 * object or cabinet read whole out of an archive.
 */
export class MemoryBytes implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Buffer) {
    this.size = bytes.length;
  }
  async read(position: number, length: number): Promise<Buffer> {
    return Buffer.from(this.bytes.subarray(position, Math.min(this.size, position + length)));
  }
  close(): void {}
}
