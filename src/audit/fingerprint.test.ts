import { describe, expect, it } from 'vitest';
import type { PendingFinding } from './evaluate.js';
import { finalize, fingerprintOf } from './fingerprint.js';

const pending = (): PendingFinding => ({
  kind: 'file',
  ruleId: 'size/empty',
  category: 'size',
  severity: 'low',
  path: 'up/a.jpg',
  messageId: 'empty',
  evidence: { size: 0 },
});

describe('finalize', () => {
  it('completes the pending finding itself: a copy made with a spread gave each its own hidden class', () => {
    const p = pending();
    const done = finalize(p, 'ab'.repeat(32));
    expect(done).toBe(p);
    expect(done).toEqual({
      ...pending(),
      fingerprint: fingerprintOf(pending(), 'ab'.repeat(32)),
      sha256: 'ab'.repeat(32),
    });
    expect(finalize(pending(), undefined)).not.toHaveProperty('sha256');
  });

  it('fingerprints by rule, normalized path, inner path and content', () => {
    const a = fingerprintOf(pending(), undefined);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    const composed = fingerprintOf({ ...pending(), path: 'up/caf\u00e9.jpg' }, undefined);
    expect(fingerprintOf({ ...pending(), path: 'up/cafe\u0301.jpg' }, undefined)).toBe(composed);
    expect(composed).not.toBe(a);
    expect(fingerprintOf({ ...pending(), innerPath: 'x' }, undefined)).not.toBe(a);
    expect(fingerprintOf(pending(), 'cd'.repeat(32))).not.toBe(a);
    expect(fingerprintOf({ ...pending(), ruleId: 'size/over-limit' }, undefined)).not.toBe(a);
  });
});
