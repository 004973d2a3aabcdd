import { describe, expect, it } from 'vitest';
import { formatCount } from './format.js';

describe('formatCount', () => {
  it('groups thousands as en-US does', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 178_956_970, -4321, 2 ** 53 - 1])
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
  });
});
