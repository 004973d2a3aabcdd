import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicyText, toPolicySet } from '../policy/load.js';
import { runScan } from '../sources/directory/run.js';
import { elf, jpeg, png } from '../test-support/bytes.js';
import { tempTrees } from '../test-support/tree.js';
import { isExpired } from './suppress.js';

const tree = tempTrees();

const policy = (yaml: string) => toPolicySet(parsePolicyText(`version: 1\n${yaml}`, 'p.yaml'), 'p.yaml');
const scan = (root: string, yaml: string, now = '2026-06-01T12:00:00Z') =>
  runScan({
    root,
    policy: policy(yaml),
    failOn: 'high',
    allowUnevaluated: false,
    concurrency: 1,
    now: () => new Date(now),
  });

describe('suppressions', () => {
  it('keep the finding, mark it, and do not fail the run', async () => {
    const root = tree({ legacy: { 'thumb.png': jpeg(), 'cat.png': elf() } });
    const report = await scan(
      root,
      `suppressions:
  - { rule: mime-mismatch, paths: ['legacy/**'], reason: 'old app, cleaned up in Q3', expires: 2026-12-31 }`,
    );
    expect(report.findings.map((f) => f.suppressed)).toEqual([
      { by: 'suppressions[0]', reason: 'old app, cleaned up in Q3', expires: '2026-12-31' },
      { by: 'suppressions[0]', reason: 'old app, cleaned up in Q3', expires: '2026-12-31' },
    ]);
    expect(report.summary).toMatchObject({ findings: 0, suppressed: 2, failed: false });
    expect(report.suppressions).toEqual({ expired: [], unused: [] });
  });

  it('by sha256 follow the file wherever it moves', async () => {
    const root = tree({ 'a.png': elf() });
    const first = await scan(root, '');
    const sha = first.findings[0]!.sha256!;
    const rules = `suppressions:\n  - { rule: mime-mismatch/executable, sha256: ${sha}, reason: 'our own test binary' }`;
    renameSync(join(root, 'a.png'), join(root, 'renamed.jpg'));
    const moved = await scan(root, rules);
    expect(moved.findings).toHaveLength(1);
    expect(moved.findings[0]).toMatchObject({ path: 'renamed.jpg', suppressed: { by: 'suppressions[0]' } });
    expect(moved.summary.failed).toBe(false);
  });

  it('stop suppressing after their expiry day and are reported as expired', async () => {
    const root = tree({ 'cat.png': elf() });
    const rules = `suppressions:\n  - { rule: mime-mismatch/executable, paths: ['*.png'], reason: 'until the migration', expires: 2026-06-30 }`;
    const lastDay = await scan(root, rules, '2026-06-30T23:59:59Z');
    expect(lastDay.summary).toMatchObject({ suppressed: 1, failed: false });
    const after = await scan(root, rules, '2026-07-01T00:00:00Z');
    expect(after.summary).toMatchObject({ suppressed: 0, findings: 1, failed: true });
    expect(after.findings[0]!.suppressed).toBeUndefined();
    expect(after.suppressions.expired).toEqual([
      {
        by: 'suppressions[0]',
        rule: 'mime-mismatch/executable',
        reason: 'until the migration',
        expires: '2026-06-30',
      },
    ]);
  });

  it('that match nothing are reported as unused', async () => {
    const root = tree({ 'ok.png': png() });
    const report = await scan(
      root,
      `suppressions:\n  - { rule: size/empty, paths: ['tmp/**'], reason: 'placeholder files' }`,
    );
    expect(report.suppressions.unused).toEqual([
      { by: 'suppressions[0]', rule: 'size/empty', reason: 'placeholder files' },
    ]);
  });

  it('isExpired counts the whole expiry day', () => {
    expect(isExpired({ expires: '2026-01-01' }, Date.parse('2026-01-01T23:59:59Z'))).toBe(false);
    expect(isExpired({ expires: '2026-01-01' }, Date.parse('2026-01-02T00:00:00Z'))).toBe(true);
    expect(isExpired({}, Date.now())).toBe(false);
  });
});

describe('allowlist mode', () => {
  it('reports every file whose extension or detected type is not allowed, per folder', async () => {
    const root = tree({
      avatars: { 'me.jpg': jpeg(), 'me.png': png(), 'fake.png': jpeg(), 'logo.svg': '<svg/>', 'x.phar': 'x' },
      exports: { 'q1.csv': 'a,b\n', 'q1.xlsx': 'x' },
      other: { 'notes.txt': 'hi' },
    });
    const report = await scan(
      root,
      `overrides:
  - paths: ['avatars/**']
    mode: allowlist
    allow: { extensions: [jpg, png], types: [image/jpeg, image/png] }
  - paths: ['exports/**']
    mode: allowlist
    allow: { extensions: [csv] }`,
    );
    const notAllowed = report.findings
      .filter((f) => f.ruleId === 'dangerous-extension/not-allowed')
      .map((f) => `${f.path}:${f.messageId}`);
    expect(notAllowed.sort()).toEqual([
      'avatars/logo.svg:extension',
      'avatars/x.phar:extension',
      'exports/q1.xlsx:extension',
    ]);
    const typeOnly = await scan(
      root,
      `overrides:\n  - paths: ['avatars/**']\n    mode: allowlist\n    allow: { extensions: [jpg, png, svg], types: [image/png] }`,
    );
    const byType = typeOnly.findings.filter((f) => f.messageId === 'type').map((f) => f.path);
    expect(byType.sort()).toEqual(['avatars/fake.png', 'avatars/logo.svg', 'avatars/me.jpg']);
  });
});

describe('reports say what policy judged them', () => {
  it('records the policy source and digest', async () => {
    const root = tree({ 'a.png': png() });
    const a = await scan(root, 'rules: { size: low }');
    const b = await scan(root, 'rules: { size: high }');
    expect(a.policy.source).toBe('p.yaml');
    expect(a.policy.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a.policy.digest).not.toBe(b.policy.digest);
  });
});
