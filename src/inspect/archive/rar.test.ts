import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../model/types.js';
import { jpeg, rar4, rar5 } from '../../test-support/bytes.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { MemoryBytes } from '../memory-bytes.js';
import { inspectArchive } from './index.js';

const RAR = { ext: 'rar', mime: 'application/x-rar-compressed', source: 'signature' } as const;
const list = async (bytes: Buffer) => {
  const result = await inspectArchive(new MemoryBytes(bytes), RAR, 'a.rar', DEFAULT_LIMITS);
  return {
    entries: result?.facts.entries.map((e) => [
      e.path,
      e.kind,
      e.declaredSize,
      e.linkTarget,
      e.detected?.ext,
    ]),
    encrypted: result?.ctx.encrypted,
    incomplete: result?.ctx.incomplete,
    error: result?.facts.error,
  };
};

describe('RAR listing', () => {
  it('lists a RAR 5: names, folders, sizes, link targets, and what stored entries are', async () => {
    const bytes = rar5([
      { name: 'trip/a.jpg', data: jpeg() },
      { name: 'trip', directory: true },
      { name: 'trip/latest', symlink: 'a.jpg' },
      { name: 'notes/ünïcode.txt', data: 'hello' },
    ]);
    expect((await list(bytes)).entries).toEqual([
      ['trip/a.jpg', 'file', jpeg().length, undefined, 'jpg'],
      ['trip', 'directory', 0, undefined, undefined],
      ['trip/latest', 'symlink', 0, 'a.jpg', undefined],
      ['notes/ünïcode.txt', 'file', 5, undefined, 'txt'],
    ]);
  });

  it('lists a RAR 4, with / for the \\ between its folders', async () => {
    const bytes = rar4([
      { name: 'q3\\report.txt', data: 'totals' },
      { name: 'q3', directory: true },
    ]);
    expect((await list(bytes)).entries).toEqual([
      ['q3/report.txt', 'file', 6, undefined, 'txt'],
      ['q3', 'directory', 0, undefined, undefined],
    ]);
  });

  it('says what it cannot list or read: encrypted headers, encrypted entries', async () => {
    for (const bytes of [
      rar5([{ name: 'x.php', data: 'x' }], { encryptHeaders: true }),
      rar4([{ name: 'x.php', data: 'x' }], { encryptHeaders: true }),
    ])
      expect(await list(bytes)).toMatchObject({
        entries: [],
        incomplete: [{ limit: 'archive format', detail: expect.stringMatching(/headers are encrypted/) }],
      });
    expect(await list(rar5([{ name: 'a.jpg', data: 'MZ', encrypted: true }]))).toMatchObject({
      entries: [['a.jpg', 'file', 2, undefined, undefined]],
      encrypted: ['a.jpg'],
    });
    expect(await list(rar4([{ name: 'b.jpg', data: 'MZ', encrypted: true }]))).toMatchObject({
      encrypted: ['b.jpg'],
    });
  });

  it('stops with an error at a header that is cut short or impossible, keeping what it listed', async () => {
    const whole = rar5([
      { name: 'a.txt', data: 'x'.repeat(100) },
      { name: 'b.txt', data: 'y' },
    ]);
    const cut = await list(whole.subarray(0, whole.length - 60));
    expect(cut.entries?.map((e) => e[0])).toEqual(['a.txt']);
    expect(cut.error).toMatch(/cut short|runs past/);
    const lying = Buffer.from(whole);
    lying[8 + 4] = 0; // the main header's size: 0
    expect((await list(lying)).error).toMatch(/says it is 0 bytes/);
  });

  it('reads side-by-side headers through one window (one request each, from a bucket)', async () => {
    const folders = Array.from({ length: 500 }, (_, i) => ({ name: `f${i}`, directory: true }));
    for (const bytes of [rar5(folders), rar4(folders)]) {
      const memory = new MemoryBytes(bytes);
      let reads = 0;
      const counted: ByteSource = {
        size: memory.size,
        read: (at, length) => {
          reads++;
          return memory.read(at, length);
        },
        close: async () => {},
      };
      const result = await inspectArchive(counted, RAR, 'a.rar', DEFAULT_LIMITS);
      expect(result?.facts.entries).toHaveLength(500);
      expect(reads).toBeLessThanOrEqual(3);
    }
  });

  it('never throws past its error on any bytes after a signature', async () => {
    for (let seed = 1; seed < 200; seed++) {
      const noise = Buffer.alloc(64 + (seed % 50));
      for (let i = 0, x = seed; i < noise.length; i++) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        noise[i] = x >>> 24;
      }
      for (const signature of ['Rar!\x1a\x07\x01\x00', 'Rar!\x1a\x07\x00']) {
        const result = await list(Buffer.concat([Buffer.from(signature, 'latin1'), noise]));
        expect(Array.isArray(result.entries)).toBe(true);
      }
    }
  });
});
