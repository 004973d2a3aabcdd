import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chalkFor } from '../cli/output.js';
import type { Report } from '../model/types.js';
import { REPORTERS } from '../reporters/index.js';
import { runScan } from '../sources/directory/run.js';
import { elf, jpeg } from '../test-support/bytes.js';
import { cliInProcess, normalizeTiming } from '../test-support/cli.js';
import { expectGolden } from '../test-support/golden.js';
import { tempTrees } from '../test-support/tree.js';
import { compareFindings } from './compare.js';

const tree = tempTrees();
const scan = (root: string, baseline?: Report) =>
  runScan({
    root,
    failOn: 'high',
    allowUnevaluated: false,
    concurrency: 1,
    now: () => new Date('2026-01-01T00:00:00Z'),
    ...(baseline && { baseline }),
  });

describe('compareFindings', () => {
  it('sorts findings into new, fixed, unchanged, and renamed-with-same-content as moved', async () => {
    const root = tree({ 'a.png': elf(), 'b.php': '<?php', 'keep.php': '<?php 1' });
    const before = await scan(root);
    renameSync(join(root, 'a.png'), join(root, 'renamed.jpg'));
    rmSync(join(root, 'b.php'));
    writeFileSync(join(root, 'new.phtml'), '<?php 2');
    const after = await scan(root, before);
    const c = after.comparison!;
    expect(c.moved.map((m) => `${m.from.path} -> ${m.to.path} ${m.to.ruleId}`)).toEqual([
      'a.png -> renamed.jpg mime-mismatch/executable',
    ]);
    expect(c.fixed.map((f) => `${f.path} ${f.ruleId}`)).toEqual(['b.php dangerous-extension/server-script']);
    expect(c.new.map((f) => `${f.path} ${f.ruleId}`)).toEqual([
      'new.phtml dangerous-extension/server-script',
    ]);
    expect(c.unchanged).toBe(1);
    expect(c.before.total).toBe(3);
    expect(c.after.total).toBe(3);
  });

  it('ignores suppressed findings on both sides', async () => {
    const f = {
      ruleId: 'r',
      category: 'size',
      severity: 'high',
      path: 'p',
      messageId: 'm',
      evidence: {},
      fingerprint: 'x',
    } as const;
    const c = compareFindings(
      {
        root: '',
        startedAt: '',
        policy: { source: '', digest: '' },
        findings: [{ ...f, suppressed: { by: 's', reason: 'r' } }],
      },
      [f],
    );
    expect(c.new).toHaveLength(1);
    expect(c.before.total).toBe(0);
  });
});

/** The newest report in a history folder. */
const latest = (history: string): string =>
  join(
    history,
    readdirSync(history)
      .filter((n) => n.startsWith('upload-audit-'))
      .sort()
      .at(-1)!,
  );

describe('baseline and history on the command line', () => {
  it('--baseline: --fail-on judges new findings only (accept the debt, block new problems)', async () => {
    const root = tree({ 'old.php': '<?php' });
    const baseline = join(tree({}), 'baseline.json');
    expect((await cliInProcess(['scan', root, '--format', 'json', '--output', baseline, '-q'])).status).toBe(
      1,
    );
    expect((await cliInProcess(['scan', root, '--baseline', baseline])).status).toBe(0);
    writeFileSync(join(root, 'x.png'), jpeg());
    expect((await cliInProcess(['scan', root, '--baseline', baseline])).status).toBe(0);
    writeFileSync(join(root, 'new.php'), '<?php');
    const run = await cliInProcess(['scan', root, '--baseline', baseline, '--no-color']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('New (2):'); // x.png (a JPEG: low, under --fail-on) and new.php
    expect(run.stdout).toContain('new.php');
    expect(run.stdout).toContain('(judging the 2 new only)');
  });

  it('--history records timestamped reports, compares with the newest and keeps N', async () => {
    const root = tree({ 'a.php': '<?php' });
    const history = join(tree({}), 'history');
    // Every run judges every finding: an unchanged tree with a critical finding keeps failing.
    for (let i = 0; i < 4; i++)
      expect(
        (await cliInProcess(['scan', root, '--history', history, '--keep', '2', '-q', '--format', 'json']))
          .status,
      ).toBe(1);
    // Asked for, it judges the new ones only, and says so.
    const newOnly = await cliInProcess([
      'scan',
      root,
      '--history',
      history,
      '--keep',
      '2',
      '--judge',
      'new',
      '--no-color',
    ]);
    expect(newOnly.status).toBe(0);
    expect(newOnly.stdout).toContain('(judging the 0 new only)');
    // Two reports kept, and the state of incremental rescans that --history keeps by default.
    const names = readdirSync(history).sort();
    expect(names).toHaveLength(3);
    expect(names.slice(1).every((n) => /^upload-audit-\d{4}-.*Z\.json$/.test(n))).toBe(true);
    expect(names[0]).toBe('scan-state');
    writeFileSync(join(root, 'b.asp'), 'x');
    const run = await cliInProcess(['scan', root, '--history', history, '--format', 'json']);
    expect(run.stderr).toMatch(/report recorded as .*, compared with /);
    expect(JSON.parse(run.stdout).comparison).toMatchObject({
      unchanged: 1,
      new: [{ path: 'b.asp' }],
      judged: 'all',
    });
    const all = await cliInProcess(['scan', root, '--baseline', latest(history), '--judge', 'all', '-q']);
    expect(all.status).toBe(1);
    expect(all.stdout).not.toContain('judging the');
  });

  it('compare OLD NEW renders the before/after and judges new findings', async () => {
    const dir = tree({ up: { 'a.php': '<?php' } });
    const old = join(dir, 'old.json');
    const now = join(dir, 'new.json');
    await cliInProcess(['scan', join(dir, 'up'), '--format', 'json', '-o', old, '-q']);
    writeFileSync(join(dir, 'up/b.jsp'), 'x');
    rmSync(join(dir, 'up/a.php'));
    await cliInProcess(['scan', join(dir, 'up'), '--format', 'json', '-o', now, '-q']);
    const run = await cliInProcess(['compare', old, now, '--no-color']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/1 new, 1 fixed, 0 moved, 0 unchanged/);
    expect((await cliInProcess(['compare', old, old])).status).toBe(0);
    const bad = await cliInProcess(['compare', old, join(dir, 'up/b.jsp')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^upload-audit: '.*b\.jsp' is not a JSON report/);
  });
});

describe('the before/after in reports', () => {
  it('matches the golden table', async () => {
    const root = tree({ 'a.php': '<?php', 'b.png': elf() });
    const before = await scan(root);
    rmSync(join(root, 'a.php'));
    writeFileSync(join(root, 'c.exe'), 'MZ');
    const after = await scan(root, before);
    const text = REPORTERS.table(
      {
        ...after,
        root: 'uploads',
        comparison: { ...after.comparison!, baseline: { ...after.comparison!.baseline, root: 'uploads' } },
      },
      { color: chalkFor(0) },
    );
    expectGolden('reporters/comparison.table', normalizeTiming(text));
  });
});
