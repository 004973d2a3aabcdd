import { describe, expect, it } from 'vitest';
import { parsePolicyText, toPolicySet } from '../policy/load.js';
import { DailyAuditor } from './auditor.js';

describe('DailyAuditor', () => {
  const policy = toPolicySet(
    parsePolicyText(
      "version: 1\nsuppressions:\n  - rule: dangerous-extension\n    paths: ['**']\n    reason: legacy\n    expires: 2026-12-06\n",
      'p.yaml',
    ),
    'p.yaml',
  );
  const audit = async (auditor: DailyAuditor) => {
    const findings = await auditor.current.audit({
      facts: {
        path: 'x.php',
        kind: 'file',
        name: 'x.php',
        size: 5,
        nameInfo: (await import('../inspect/names.js')).analyzeName('x.php'),
      },
    });
    return findings.find((f) => f.ruleId === 'dangerous-extension/server-script')?.suppressed?.by;
  };

  it('keeps one Auditor through a day and makes a new one when the day changes, so suppressions expire', async () => {
    let now = Date.parse('2026-12-06T23:59:00Z');
    const daily = new DailyAuditor(policy, () => now);
    const first = daily.current;
    expect(daily.current).toBe(first);
    expect(await audit(daily)).toBe('suppressions[0]');
    now = Date.parse('2026-12-07T00:00:01Z');
    expect(daily.current).not.toBe(first);
    expect(await audit(daily)).toBeUndefined();
  });
});
