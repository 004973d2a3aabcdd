import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prng } from '../bench/generate.js';
import { runScan } from '../sources/directory/run.js';
import { elf, jpeg, png } from '../test-support/bytes.js';
import { BIN, cliInProcess } from '../test-support/cli.js';
import { file, inventory, symlink, tempTrees } from '../test-support/tree.js';
import { applyPlan, completeRun, type MoveOps, openRun, prepareQuarantine } from './apply.js';
import { journalState, readJournal } from './journal.js';
import { planRemediation } from './plan.js';
import { restoreRun } from './restore.js';

const tree = tempTrees();

/** Regular files only: relative path → sha256, mode and mtime (what restore must put back exactly). */
function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path, `${rel}${name}/`);
      else if (st.isFile())
        out.set(
          `${rel}${name}`,
          `${createHash('sha256').update(readFileSync(path)).digest('hex')} ${st.mode} ${st.mtimeMs}`,
        );
      else if (st.isSymbolicLink()) out.set(`${rel}${name}`, `link ${st.mode}`);
    }
  };
  walk(root, '');
  return out;
}

/** Content hashes of every regular file in the tree and in all quarantine runs. */
function contentsEverywhere(root: string, quarantine: string): string[] {
  const hashes = [...files(root).values()].map((v) => v.split(' ')[0]!);
  if (existsSync(quarantine)) {
    for (const run of readdirSync(quarantine)) {
      const stored = join(quarantine, run, 'files');
      if (existsSync(stored)) hashes.push(...[...files(stored).values()].map((v) => v.split(' ')[0]!));
    }
  }
  return hashes.sort();
}

const uploads = () => ({
  '2024': {
    'ok.jpg': jpeg(),
    'cat.png': elf(),
    'shell.php': '<?php echo 1;',
    'run.jpg': file(jpeg(), 0o755),
  },
  users: { 'avatar.png': png(), '.htaccess': 'AddType x .jpg', pw: symlink('/etc/passwd') },
});

describe('fix: the plan', () => {
  it('changes nothing without --apply', async () => {
    const root = tree(uploads());
    const before = inventory(root);
    const quarantine = join(tree({}), 'q');
    const run = await cliInProcess([
      'fix',
      root,
      '--quarantine',
      quarantine,
      '--min-severity',
      'medium',
      '--no-color',
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Plan: 5 actions/);
    expect(run.stdout).toContain('chmod -0111  2024/run.jpg');
    expect(run.stdout).toContain('Dry run: nothing was changed');
    expect(inventory(root)).toEqual(before);
    // Not even the quarantine folder is made.
    expect(existsSync(quarantine)).toBe(false);
  });

  it('refuses a quarantine inside the scanned folder', async () => {
    const root = tree(uploads());
    const run = await cliInProcess(['fix', root, '--quarantine', join(root, 'q')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /^upload-audit: quarantine '.*' is inside the scanned folder; it must be outside it\n$/,
    );
  });

  it('honors --min-severity and --category', async () => {
    const root = tree(uploads());
    const report = await runScan({ root, failOn: 'none', allowUnevaluated: true, concurrency: 1 });
    expect(
      planRemediation(report, { minSeverity: 'critical', categories: [] }).actions.map((a) => a.path),
    ).toEqual(['2024/cat.png', '2024/shell.php', 'users/.htaccess', 'users/pw']);
    expect(
      planRemediation(report, { minSeverity: 'info', categories: ['permissions'] }).actions.map(
        (a) => `${a.kind} ${a.path}`,
      ),
    ).toEqual(['chmod 2024/run.jpg']);
  });
});

describe('fix --apply and restore', () => {
  it('quarantines with a manifest, re-scans, and restore puts every file back exactly', async () => {
    const root = tree(uploads());
    const quarantine = join(tree({}), 'q');
    const before = files(root);
    const run = await cliInProcess([
      'fix',
      root,
      '--quarantine',
      quarantine,
      '--apply',
      '--min-severity',
      'medium',
      '--no-color',
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/4 moved to quarantine .*, 1 permission fixes, 0 failed/);
    expect(run.stdout).toMatch(/0 new, \d+ fixed/);
    expect(statSync(quarantine).mode & 0o777).toBe(0o700);
    const [runName] = readdirSync(quarantine);
    const runDir = join(quarantine, runName!);
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'));
    expect(manifest.complete).toBe(true);
    expect(manifest.entries.find((e: { original: string }) => e.original === '2024/shell.php')).toMatchObject(
      {
        sha256: createHash('sha256').update('<?php echo 1;').digest('hex'),
        size: 13,
        mode: 0o100644,
        uid: expect.any(Number),
        mtimeMs: expect.any(Number),
        findings: [expect.objectContaining({ ruleId: 'dangerous-extension/server-script' })],
      },
    );
    expect(existsSync(join(root, '2024/shell.php'))).toBe(false);
    expect(statSync(join(root, '2024/run.jpg')).mode & 0o777).toBe(0o644);
    const restore = await cliInProcess(['restore', runDir]);
    expect(restore.stdout).toBe('5 restored, 0 conflict(s), 0 failed\n');
    expect(files(root)).toEqual(before);
    expect((await cliInProcess(['restore', runDir])).stdout).toBe('0 restored, 0 conflict(s), 0 failed\n');
  });

  it('never overwrites a file that now exists at the original path; --force moves it aside', async () => {
    const root = tree(uploads());
    const quarantine = join(tree({}), 'q');
    await cliInProcess(['fix', root, '--quarantine', quarantine, '--apply']);
    const runDir = join(quarantine, readdirSync(quarantine)[0]!);
    writeFileSync(join(root, '2024/shell.php'), 'a newer upload');
    const refused = await cliInProcess(['restore', runDir, '--only', '2024/shell.php']);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('conflict: 2024/shell.php exists now; not overwritten');
    expect(readFileSync(join(root, '2024/shell.php'), 'utf8')).toBe('a newer upload');
    const forced = await cliInProcess(['restore', runDir, '--only', '2024/shell.php', '--force']);
    expect(forced.status).toBe(0);
    expect(readFileSync(join(root, '2024/shell.php'), 'utf8')).toBe('<?php echo 1;');
    const aside = readdirSync(join(root, '2024')).find((n) =>
      n.startsWith('shell.php.upload-audit-conflict-'),
    )!;
    expect(readFileSync(join(root, '2024', aside), 'utf8')).toBe('a newer upload');
    expect(existsSync(join(root, '2024/cat.png'))).toBe(false); // --only restored just that path
  });

  it('moves across filesystems by copy, fsync, hash check and unlink (simulated with EXDEV)', async () => {
    const root = tree(uploads());
    const before = files(root);
    const quarantine = prepareQuarantine(root, join(tree({}), 'q'));
    const otherFs: MoveOps = {
      rename: () => {
        throw Object.assign(new Error('cross-device link not permitted'), { code: 'EXDEV' });
      },
    };
    const report = await runScan({ root, failOn: 'none', allowUnevaluated: true, concurrency: 1 });
    const run = openRun(quarantine, root, new Date(), otherFs);
    const result = applyPlan(
      planRemediation(report, { minSeverity: 'medium', categories: [] }),
      root,
      run,
      otherFs,
    );
    completeRun(run, new Date());
    expect(result).toMatchObject({ moved: 4, failed: [] });
    const state = journalState(readJournal(run.runDir));
    expect(state.done.size).toBe(5);
    expect(readFileSync(join(run.runDir, 'journal.jsonl'), 'utf8')).toContain('"how":"copy"');
    expect(existsSync(join(root, '2024/cat.png'))).toBe(false);
    expect(restoreRun(run.runDir, { force: false, now: new Date(), ops: otherFs })).toMatchObject({
      restored: 5,
      failed: [],
    });
    const after = files(root);
    // A copy can set times only to the microsecond; hashes and modes are exact.
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [path, value] of before) {
      const [hash, mode, mtime] = value.split(' ');
      const [hashAfter, modeAfter, mtimeAfter] = after.get(path)!.split(' ');
      expect(`${path} ${hashAfter} ${modeAfter}`).toBe(`${path} ${hash} ${mode}`);
      if (hash !== 'link') expect(Math.abs(Number(mtimeAfter) - Number(mtime))).toBeLessThan(0.01);
    }
  });
});

describe('crash safety', () => {
  it('after kill -9 at random points every file is in place or in quarantine, once; --apply finishes; restore reverses', async () => {
    const spec: Record<string, string | Buffer> = { 'ok.jpg': jpeg() };
    for (let i = 0; i < 300; i++) spec[`shell-${i}.php`] = `<?php echo ${i};`;
    const template = tree({ up: spec });
    const originalContents = contentsEverywhere(join(template, 'up'), join(template, 'none'));
    const fix = (root: string, quarantine: string) =>
      spawn(process.execPath, [BIN, 'fix', root, '--quarantine', quarantine, '--apply', '--no-color'], {
        stdio: 'ignore',
      });
    const finished = (child: ReturnType<typeof spawn>) =>
      new Promise<void>((resolve) => child.on('exit', () => resolve()));

    /** Resolves once the run's journal exists (the apply phase began), or the process ended. */
    const applyStarted = async (quarantine: string, child: ReturnType<typeof spawn>): Promise<boolean> => {
      for (;;) {
        if (child.exitCode !== null) return false;
        const runs = existsSync(quarantine) ? readdirSync(quarantine) : [];
        if (runs.some((r) => existsSync(join(quarantine, r, 'journal.jsonl')))) return true;
        await new Promise((r) => setTimeout(r, 1));
      }
    };

    const random = prng(8);
    let interrupted = 0;
    for (let round = 0; round < 8; round++) {
      const dir = tree({});
      const root = join(dir, 'up');
      const quarantine = join(dir, 'q');
      cpSync(join(template, 'up'), root, { recursive: true, preserveTimestamps: true });
      const original = files(root);
      const child = fix(root, quarantine);
      // Kill at a random point of the apply phase (or, now and then, just before or after it).
      if (await applyStarted(quarantine, child))
        await new Promise((r) => setTimeout(r, Math.floor(random() * 120)));
      child.kill('SIGKILL');
      await finished(child);
      // Nothing lost, nothing duplicated, nothing corrupted.
      expect(contentsEverywhere(root, quarantine)).toEqual(originalContents);
      const runs = existsSync(quarantine) ? readdirSync(quarantine).filter((r) => r.startsWith('run-')) : [];
      if (runs.length > 0 && !journalState(readJournal(join(quarantine, runs[0]!))).complete) interrupted++;
      // The same --apply finishes the run ...
      await finished(fix(root, quarantine));
      expect(contentsEverywhere(root, quarantine)).toEqual(originalContents);
      expect(readdirSync(root).sort()).toEqual(['ok.jpg']);
      // ... and restore reverses it exactly.
      for (const run of readdirSync(quarantine).filter((r) => r.startsWith('run-')))
        expect((await cliInProcess(['restore', join(quarantine, run)])).status).toBe(0);
      expect(files(root)).toEqual(original);
    }
    expect(interrupted).toBeGreaterThan(0);
  }, 180_000);
});
