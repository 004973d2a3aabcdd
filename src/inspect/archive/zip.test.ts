import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../model/types.js';
import { zip } from '../../test-support/bytes.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { inspectArchive } from './index.js';

/** Bytes that do not compress, the same on every run. */
function noise(length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = Buffer.from('seed');
  for (let at = 0; at < length; at += block.length) {
    block = createHash('sha256').update(block).digest();
    block.copy(out, at);
  }
  return out;
}

/** A zip in memory as a ByteSource that counts what is read of it. */
class CountingBytes implements ByteSource {
  bytesRead = 0;
  constructor(private readonly bytes: Buffer) {}
  get size(): number {
    return this.bytes.length;
  }
  async read(position: number, length: number): Promise<Buffer> {
    const piece = Buffer.from(this.bytes.subarray(position, position + length));
    this.bytesRead += piece.length;
    return piece;
  }
  close(): void {}
}

const ZIP = { ext: 'zip', mime: 'application/zip', source: 'signature' } as const;
const MiB = 1024 * 1024;

async function inspect(bytes: Buffer) {
  const source = new CountingBytes(bytes);
  const result = await inspectArchive(source, ZIP, 'a.zip', DEFAULT_LIMITS);
  return { source, result: result! };
}

describe('zip: relationship parts', () => {
  it('reads relationship parts whole for what they load from outside', async () => {
    const rels = `<Relationships>${' '.repeat(8192)}<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>`;
    const { result } = await inspect(
      zip({ 'pad.bin': noise(2 * MiB), 'word/_rels/settings.xml.rels': { data: rels, deflate: true } }),
    );
    expect(result.ctx.active.map((a) => a.kind)).toEqual(['office-external']);
  });
});
