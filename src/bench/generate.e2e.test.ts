import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runScan } from '../sources/directory/run.js';
import { generateLogs, generateTree, logsAreGenerated, treeIsGenerated } from './generate.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const scan = async (files: number, clean: boolean) => {
  const base = mkdtempSync(join(tmpdir(), 'ua-bench-'));
  made.push(base);
  const tree = join(base, 'tree');
  expect(treeIsGenerated(tree)).toBe(false);
  generateTree(tree, files, { clean });
  expect(treeIsGenerated(tree)).toBe(true);
  const report = await runScan({ root: tree, failOn: 'none', allowUnevaluated: true, concurrency: 1 });
  return { report, tree };
};

describe('benchmark trees', () => {
  it('a clean tree makes no finding, and the completion marker sits beside it', async () => {
    const { report, tree } = await scan(600, true);
    expect(report.summary.files).toBe(600);
    expect(report.summary.notEvaluated).toBe(0);
    expect(report.findings).toEqual([]);
    expect(existsSync(`${tree}.complete`)).toBe(true);
  });

  it('the realistic tree has its few percent of problems, of every planted kind', async () => {
    const { report } = await scan(2000, false);
    expect(report.summary.files).toBe(2000);
    const paths = new Set(report.findings.map((f) => f.path));
    expect(paths.size).toBeGreaterThan(20);
    expect(paths.size).toBeLessThan(120);
    for (const planted of [/shell-\d+\.php\.jpg$/, /avatar-\d+\.png$/, /x\d+\.phtml$/, /thumb-\d+\.png$/])
      expect([...paths].some((p) => planted.test(p))).toBe(true);
  });

  it('says whether the logs of a size were written before (the bench reports reuse)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ua-bench-logs-'));
    made.push(dir);
    expect(logsAreGenerated(dir, 50)).toBe(false);
    await generateLogs(dir, 50);
    expect(logsAreGenerated(dir, 50)).toBe(true);
    expect(logsAreGenerated(dir, 60)).toBe(false);
  });
});
