import { describe, expect, it } from 'vitest';
import { cfb } from '../test-support/bytes.js';
import fc from '../test-support/fast-check.js';
import { openCfb, vbaStorage } from './cfb.js';
import { MemoryBytes } from './memory-bytes.js';

const doc = cfb(
  [
    { name: 'WordDocument', type: 'stream', data: Buffer.alloc(4096, 7) },
    { name: 'Macros', type: 'storage' },
    { name: 'VBA', type: 'storage' },
  ],
  2,
);

describe('openCfb', () => {
  it('lists the directory, over its chain of sectors, and reads a stream through the FAT', async () => {
    const file = await openCfb(new MemoryBytes(doc));
    expect(file?.entries.map((e) => e.name)).toEqual(['Root Entry', 'WordDocument', 'Macros', 'VBA']);
    expect(vbaStorage(file!.entries)).toBe('Macros');
    const stream = await file!.streamStart(file!.entries[1]!, 5000);
    expect(stream).toEqual(Buffer.alloc(4096, 7));
  });

  it('reads small streams from the mini stream, beside large ones in regular sectors', async () => {
    const bytes = cfb([
      { name: 'Small', type: 'stream', data: Buffer.from('x'.repeat(100)) },
      { name: 'Big', type: 'stream', data: Buffer.alloc(5000, 7) },
      { name: 'Small2', type: 'stream', data: Buffer.from('y'.repeat(200)) },
    ]);
    const file = (await openCfb(new MemoryBytes(bytes)))!;
    const read = (name: string) => file.streamStart(file.entries.find((e) => e.name === name)!, 10_000);
    expect(await read('Small')).toEqual(Buffer.from('x'.repeat(100)));
    expect(await read('Big')).toEqual(Buffer.alloc(5000, 7));
    expect(await read('Small2')).toEqual(Buffer.from('y'.repeat(200)));
  });

  it('is no Compound File without the signature, and survives any damage to one', async () => {
    expect(
      await openCfb(new MemoryBytes(Buffer.from('not a compound file at all'.repeat(40)))),
    ).toBeUndefined();
    // Bytes overwritten anywhere (sector ids, shifts, chains that loop or run off the end), or
    // the file cut short: an answer, never a throw or a hang.
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          // Mostly in the header, FAT and directory (the first 2,048 bytes), where ids and chains are.
          fc.tuple(fc.oneof(fc.nat(2047), fc.nat(doc.length - 1)), fc.integer({ min: 0, max: 255 })),
          { maxLength: 24 },
        ),
        fc.nat(doc.length),
        async (edits, cut) => {
          const bytes = Buffer.from(doc);
          for (const [at, value] of edits) bytes[at] = value;
          const file = await openCfb(new MemoryBytes(bytes.subarray(0, Math.max(cut, 600))));
          for (const entry of file?.entries ?? []) await file!.streamStart(entry, 64 * 1024);
        },
      ),
      { numRuns: 500 },
    );
  });
});
