import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prng } from '../../bench/generate.js';
import { loadState } from '../../incremental/state-file.js';
import type { Report } from '../../model/types.js';
import { parsePolicyText, toPolicySet } from '../../policy/load.js';
import { elf, jpeg, pdf, png, zip } from '../../test-support/bytes.js';
import { BIN, cliInProcess } from '../../test-support/cli.js';
import { symlink, type Tree, tempTrees } from '../../test-support/tree.js';
import { runScan, type ScanOptions } from './run.js';

const tree = tempTrees();
const stateDir = mkdtempSync(join(tmpdir(), 'ua-state-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
let states = 0;
const newStateFile = (): string => join(stateDir, `state-${++states}`);

/**
 * A scan; with `state`, an incremental one. The racy margin is 0 here: the trees are made a
 * moment before the first run, and a margin would only make the test wait. A change made after
 * a run started still has a ctime after that start, so it is read again with any margin.
 */
const scan = (root: string, state?: string, over: Partial<ScanOptions> = {}): Promise<Report> =>
  runScan({
    root,
    failOn: 'high',
    allowUnevaluated: false,
    concurrency: 1,
    ...(state !== undefined && { state: { file: state, ignoreCtime: false, racyMarginMs: 0 } }),
    ...over,
  });

/** The report without what changes from run to run, or says how the run went. */
function comparable(report: Report): string {
  const { startedAt: _s, durationMs: _d, incremental: _i, ...rest } = report;
  return JSON.stringify(rest, null, 1);
}

/** An upload folder with clean files, problems of several kinds, links and nested folders. */
const uploads = (): Tree => ({
  '2024': {
    '03': {
      'IMG_1.jpg': jpeg(),
      'IMG_2.jpg': jpeg('a holiday'),
      'banner.png': png(),
      'receipt.pdf': pdf(),
      'notes.txt': 'hello\n',
      'bundle.zip': zip({ '../../evil.php': '<?php system($_GET[1]);' }),
    },
    '04': { 'avatar.png': elf(), 'shell.php.jpg': '<?php echo 1; ?>', 'doc.pdf': pdf() },
  },
  users: { alice: { '.htaccess': 'AddType application/x-httpd-php .jpg', 'me.jpg': jpeg() } },
  'link-in': symlink('2024/03/IMG_1.jpg'),
});
const REGULAR_FILES = 11;

/** Keep the size and mtime (to the nanosecond) of `path` while its bytes change: only ctime tells. */
function swapKeepingSizeAndMtime(path: string, bytes: Buffer): void {
  const before = statSync(path, { bigint: true });
  const reference = `${path}.times`;
  writeFileSync(reference, '');
  execFileSync('touch', ['-r', path, reference]); // utimensat: nanoseconds kept
  const content = Buffer.alloc(Number(before.size));
  bytes.copy(content);
  writeFileSync(path, content);
  execFileSync('touch', ['-r', reference, path]);
  unlinkSync(reference);
  expect(statSync(path, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
}

describe('scan --state: incremental rescans', () => {
  it('reads nothing on an unchanged tree and reports exactly what a full scan reports', async () => {
    const root = tree(uploads());
    const state = newStateFile();
    const first = await scan(root, state);
    expect(first.incremental).toEqual({
      mode: 'full',
      state,
      why: 'there is no state yet (first run)',
      reused: 0,
      reread: REGULAR_FILES,
    });
    const again = await scan(root, state);
    expect(again.incremental).toMatchObject({ mode: 'incremental', reused: REGULAR_FILES, reread: 0 });
    expect(comparable(again)).toBe(comparable(await scan(root)));
    expect(again.findings.length).toBeGreaterThan(5);
  });

  it('sees every change made behind its back: content, new, deleted, renamed, chmod, retargeted links', async () => {
    const root = tree(uploads());
    const state = newStateFile();
    await scan(root, state);
    // Content swapped keeping size and mtime: the JPEG becomes an ELF binary.
    swapKeepingSizeAndMtime(join(root, '2024/03/IMG_2.jpg'), elf());
    writeFileSync(join(root, '2024/03/new.php'), '<?php eval($_POST[1]);');
    unlinkSync(join(root, '2024/04/avatar.png'));
    renameSync(join(root, '2024/04/shell.php.jpg'), join(root, 'users/alice/shell.php.jpg'));
    chmodSync(join(root, '2024/03/notes.txt'), 0o777);
    unlinkSync(join(root, 'link-in'));
    symlinkSync('/etc/passwd', join(root, 'link-in'));
    const incremental = await scan(root, state);
    const full = await scan(root);
    expect(comparable(incremental)).toBe(comparable(full));
    // Read again: the swapped, the new, the renamed and the chmod'ed file; the rest was not opened.
    expect(incremental.incremental).toMatchObject({
      mode: 'incremental',
      reread: 4,
      reused: REGULAR_FILES - 4,
    });
    const hits = full.findings.map((f) => `${f.path} ${f.ruleId}`);
    expect(hits).toContain('2024/03/IMG_2.jpg mime-mismatch/executable');
    expect(hits).toContain('link-in path-traversal/symlink-escape');
    expect(hits).toContain('users/alice/shell.php.jpg dangerous-extension/double-extension');
    expect(hits.some((h) => h.startsWith('2024/04/avatar.png'))).toBe(false);
  });

  it('a renamed file keeps its fingerprint, so a baseline sees it moved, not new', async () => {
    const root = tree(uploads());
    const state = newStateFile();
    const before = await scan(root, state);
    renameSync(join(root, '2024/04/avatar.png'), join(root, '2024/03/avatar.png'));
    const after = await scan(root, state, { baseline: before });
    expect(after.comparison?.new).toEqual([]);
    expect(after.comparison?.moved.map((m) => m.to.path)).toContain('2024/03/avatar.png');
  });

  it('gives the same report with worker threads, whichever run used them', async () => {
    const root = tree(uploads());
    const state = newStateFile();
    const full = comparable(await scan(root));
    expect(comparable(await scan(root, state, { concurrency: 2 }))).toBe(full);
    const threadsUsed = new Set<number>();
    const rescan = await scan(root, state, { concurrency: 3, threadsUsed });
    expect(comparable(rescan)).toBe(full);
    expect(rescan.incremental).toMatchObject({ mode: 'incremental', reused: REGULAR_FILES });
    expect([...threadsUsed].some((t) => t !== 0)).toBe(true);
  });

  it("applies today's suppressions to stored verdicts; a changed rule reads everything again", async () => {
    const root = tree(uploads());
    const state = newStateFile();
    await scan(root, state);
    const policy = (yaml: string) => toPolicySet(parsePolicyText(`version: 1\n${yaml}`, 'p.yaml'), 'p.yaml');
    const suppressing = policy(
      "suppressions:\n  - rule: mime-mismatch\n    paths: ['2024/04/**']\n    reason: reviewed\n",
    );
    const suppressed = await scan(root, state, { policy: suppressing });
    expect(suppressed.incremental?.mode).toBe('incremental');
    expect(comparable(suppressed)).toBe(comparable(await scan(root, undefined, { policy: suppressing })));
    expect(suppressed.findings.find((f) => f.path === '2024/04/avatar.png')?.suppressed?.by).toBe(
      'suppressions[0]',
    );

    const stricter = policy('rules:\n  unsafe-filename/hidden: critical\n');
    const rejudged = await scan(root, state, { policy: stricter });
    expect(rejudged.incremental).toMatchObject({
      mode: 'full',
      why: 'the policy changed since it was written',
    });
    expect(comparable(rejudged)).toBe(comparable(await scan(root, undefined, { policy: stricter })));
  });

  it('reads a file again when it changed near the last run start (racy), as git does', async () => {
    const root = tree(uploads());
    const state = newStateFile();
    const options = { racyMarginMs: 60_000, ignoreCtime: false, file: state };
    await scan(root, undefined, { state: options });
    const again = await scan(root, undefined, { state: options });
    expect(again.incremental).toMatchObject({ mode: 'incremental', reused: 0, reread: REGULAR_FILES });
  });

  it('--ignore-ctime trusts size and mtime alone: the documented price on unreliable mounts', async () => {
    const root = tree(uploads());
    const state = newStateFile();
    const options = { racyMarginMs: 0, ignoreCtime: true, file: state };
    await scan(root, undefined, { state: options });
    swapKeepingSizeAndMtime(join(root, '2024/03/IMG_2.jpg'), elf());
    const rescan = await scan(root, undefined, { state: options });
    expect(rescan.incremental).toMatchObject({ mode: 'incremental', reused: REGULAR_FILES });
    // With ctime compared (the default) the swap is seen; a state made without it is not reused.
    const withCtime = await scan(root, state);
    expect(withCtime.incremental).toMatchObject({ mode: 'full', why: 'it was written with --ignore-ctime' });
    expect(withCtime.findings.map((f) => `${f.path} ${f.ruleId}`)).toContain(
      '2024/03/IMG_2.jpg mime-mismatch/executable',
    );
  });

  it('a damaged state is a full read with the reason; a file that is no state is exit 2, untouched', async () => {
    const root = tree(uploads());
    const state = newStateFile();
    await scan(root, state);
    const good = readFileSync(state, 'utf8');
    const full = comparable(await scan(root));
    const damages: Array<[string, string, RegExp]> = [
      ['cut short', good.slice(0, good.length - 12), /cut short|damaged/],
      ['a line flipped', good.replace(/\n[0-9a-f]{4}/, '\nzzzz'), /damaged \(line \d+\)/],
      [
        'an entry lost',
        good.replace(/\n[0-9a-f]{16}\n/, '\n'),
        /damaged \(\d+ entries, its end line says \d+\)/,
      ],
      [
        'an entry added',
        good.replace(/\n([0-9a-f]{16})\n/, '\n$1\n$1\n'),
        /damaged \(more entries than its end line says, \d+\)/,
      ],
      ['another root', good.replace(`"root":"`, '"root":"/elsewhere'), /another folder/],
      [
        'another version',
        good.replace(/"tool":"[^"]+"/, '"tool":"0.0.1"'),
        /written by upload-audit 0\.0\.1/,
      ],
    ];
    for (const [what, text, why] of damages) {
      writeFileSync(state, text);
      const report = await scan(root, state);
      expect(report.incremental?.mode, what).toBe('full');
      expect(report.incremental?.why, what).toMatch(why);
      expect(comparable(report), what).toBe(full);
      // The run wrote a good state in its place.
      expect(loadState(state, JSON.parse(readFileSync(state, 'utf8').split('\n')[0]!)).usable, what).toBe(
        true,
      );
    }
    const report = join(stateDir, 'report.json');
    writeFileSync(report, '{"schemaVersion":1}\n');
    const run = await cliInProcess(['scan', root, '--state', report, '-q']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `upload-audit: '${report}' is not an upload-audit state file (it was not overwritten)\n`,
    );
    expect(readFileSync(report, 'utf8')).toBe('{"schemaVersion":1}\n');
  });

  it('with --history keeps one state per shard in the history folder, and says what it did', async () => {
    const root = tree(uploads());
    const history = join(stateDir, 'history');
    for (const shard of ['1/2', '2/2']) {
      const first = await cliInProcess([
        'scan',
        root,
        '--history',
        history,
        '--shard',
        shard,
        '-o',
        '/dev/null',
      ]);
      expect(first.status).toBe(1);
      expect(first.stderr).toContain('(there is no state yet (first run)): every file read');
    }
    expect(
      readdirSync(history)
        .filter((n) => n.startsWith('scan-state'))
        .sort(),
    ).toEqual(['scan-state-1-of-2', 'scan-state-2-of-2']);
    expect(readFileSync(join(history, 'scan-state-2-of-2'), 'utf8')).toContain('"shard":"2/2"');
    // The JSON and JSON Lines reports say which mode ran (every file is racy this soon after).
    const state = newStateFile();
    await cliInProcess(['scan', root, '--state', state, '-q', '-o', '/dev/null']);
    const json = JSON.parse((await cliInProcess(['scan', root, '--state', state, '-f', 'json'])).stdout);
    expect(json.incremental).toEqual({ mode: 'incremental', state, reused: 0, reread: REGULAR_FILES });
    const jsonl = (await cliInProcess(['scan', root, '--state', state, '-f', 'jsonl'])).stdout
      .trim()
      .split('\n');
    expect(JSON.parse(jsonl.at(-1)!).incremental).toMatchObject({ mode: 'incremental' });
    const noState = await cliInProcess([
      'scan',
      root,
      '--no-state',
      '--ignore-ctime',
      '-q',
      '-o',
      '/dev/null',
    ]);
    expect(noState.status).toBe(1);
    const bad = await cliInProcess(['scan', root, '--ignore-ctime']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('upload-audit: --ignore-ctime needs --state or --history\n');
  });

  it('kill -9 at seeded random points leaves the old state or the new one, and the next run is right', async () => {
    const files: Tree = {};
    for (let i = 0; i < 40; i++) {
      const folder: Tree = {};
      for (let j = 0; j < 100; j++)
        folder[`f${j}.${j % 7 === 0 ? 'php' : 'jpg'}`] = j % 2 ? jpeg() : `x${i}-${j}`;
      files[`d${i}`] = folder;
    }
    const root = tree(files);
    const state = newStateFile();
    const full = comparable(await scan(root));
    const random = prng(20);
    let interrupted = 0;
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, [
        BIN,
        'scan',
        root,
        '--state',
        state,
        '-q',
        '-o',
        '/dev/null',
        '-j',
        '2',
      ]);
      const exited = new Promise((done) => child.on('exit', done));
      await new Promise((wait) => setTimeout(wait, Math.floor(random() * 900)));
      child.kill('SIGKILL');
      await exited;
      if (child.exitCode === null) interrupted++;
      if (existsSync(state)) {
        const { usable } = loadState(state, JSON.parse(readFileSync(state, 'utf8').split('\n')[0]!));
        expect(usable, `round ${round}`).toBe(true);
      }
    }
    expect(interrupted).toBeGreaterThan(0);
    const report = await scan(root, state);
    expect(comparable(report)).toBe(full);
    // The temporary files of the killed writers are gone once a writer runs again.
    expect(readdirSync(stateDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
