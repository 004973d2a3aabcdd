import { describe, expect, it } from 'vitest';
import { giveBack, takeScratch } from './scratch.js';

describe('scratch buffers', () => {
  it('gives a buffer back to the next item, never to two at once', () => {
    const a = takeScratch(512 * 1024);
    const b = takeScratch(512 * 1024);
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.length).toBe(512 * 1024);
    giveBack(a);
    const c = takeScratch(100 * 1024);
    expect(c.buffer).toBe(a.buffer);
    expect(c.length).toBe(100 * 1024);
    giveBack(b);
    giveBack(c);
  });

  it('leaves small and oversized buffers to the allocator', () => {
    const small = takeScratch(100);
    const large = takeScratch(4 * 1024 * 1024);
    giveBack(small);
    giveBack(large);
    expect(takeScratch(200 * 1024).buffer).not.toBe(large.buffer);
    expect(large.length).toBe(4 * 1024 * 1024);
  });
});
