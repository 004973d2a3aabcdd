import { describe, expect, it } from 'vitest';
import { chalkFor } from '../output.js';
import { REPORTERS } from './index.js';
import { largest } from './shared.js';

describe('long lists', () => {
  it('a before/after of 200,000 new findings is listed, not a stack overflow', async () => {
    const { compareFindings } = await import('../compare.js');
    const { sampleReport } = await import('../test-support/sample-report.js');
    const r = sampleReport();
    const many = Array.from({ length: 200_000 }, (_, i) => ({
      ...r.findings[0]!,
      path: `u/${i}.php`,
      fingerprint: `f${i}`,
    }));
    const comparison = compareFindings({ ...r, findings: [] }, many);
    const text = REPORTERS.table({ ...r, findings: [], comparison }, { color: chalkFor(0) });
    expect(text).toContain('200000 new');
    expect(text).toContain('u/199999.php');
  });

  it('largest() takes any number of values', () => {
    expect(largest(new Array(1_000_000).fill(3), 1)).toBe(3);
    expect(largest([], 8)).toBe(8);
    expect(largest([2, 9, 4], 0)).toBe(9);
  });
});
