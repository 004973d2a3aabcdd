import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../model/types.js';
import { defaultPolicySet } from '../policy/policy.js';
import { restoreRun } from '../remediate/restore.js';
import { elf, jpeg } from '../test-support/bytes.js';
import { BIN } from '../test-support/cli.js';
import { WatchQuarantine } from './quarantine.js';
import { UploadWatcher } from './watch.js';

const dir = mkdtempSync(join(tmpdir(), 'ua-watch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A watcher on a fresh folder that records what it audited and what it said. */
async function watching(name: string, over: { reconcileMs?: number; poll?: boolean } = {}) {
  const root = join(dir, name);
  mkdirSync(root);
  const audited = new Map<string, Finding[]>();
  const notes: string[] = [];
  const watcher = new UploadWatcher({
    root,
    policy: defaultPolicySet(),
    settleMs: 100,
    reconcileMs: over.reconcileMs ?? 60_000,
    burstEvents: 64,
    ...(over.poll && { poll: true }),
    onAudited: (path, findings) => audited.set(path, findings),
    onNote: (line) => notes.push(line),
  });
  await watcher.start();
  return { root, watcher, audited, notes };
}

/** Wait until the watcher has nothing waiting and `done` holds (bounded). */
async function until(watcher: UploadWatcher, done: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(watcher.idle && done())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the watcher');
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

describe('upload-audit watch', () => {
  it('audits each file once it lands, with the findings of a scan, folders moved in included', async () => {
    const { root, watcher, audited } = await watching('landing');
    try {
      writeFileSync(join(root, 'ok.jpg'), jpeg());
      writeFileSync(join(root, 'cat.png'), elf());
      const outside = join(dir, 'incoming');
      mkdirSync(join(outside, 'deep'), { recursive: true });
      writeFileSync(join(outside, 'deep/shell.php'), '<?php');
      renameSync(outside, join(root, 'moved-in'));
      await until(watcher, () => audited.size === 3);
      expect(audited.get('ok.jpg')).toEqual([]);
      expect(audited.get('cat.png')?.map((f) => f.ruleId)).toContain('mime-mismatch/executable');
      expect(audited.get('moved-in/deep/shell.php')?.map((f) => f.ruleId)).toContain(
        'dangerous-extension/server-script',
      );
    } finally {
      await watcher.stop();
    }
  });

  it('audits every one of 10,000 files landing at once', async () => {
    const { root, watcher, audited } = await watching('burst');
    try {
      for (let d = 0; d < 20; d++) {
        mkdirSync(join(root, `d${d}`));
        for (let i = 0; i < 500; i++) writeFileSync(join(root, `d${d}/f${i}.txt`), `upload ${d} ${i}\n`);
      }
      await until(watcher, () => audited.size === 10_000, 50_000);
      expect(audited.size).toBe(10_000);
    } finally {
      await watcher.stop();
    }
  }, 60_000);

  it('--poll: without events, the periodic walk finds and audits what landed, and says so', async () => {
    const { root, watcher, audited, notes } = await watching('polled', { reconcileMs: 200, poll: true });
    try {
      writeFileSync(join(root, 'a.jpg'), jpeg());
      writeFileSync(join(root, 'shell.php.jpg'), '<?php');
      await until(watcher, () => audited.size === 2);
      expect(audited.get('shell.php.jpg')?.map((f) => f.ruleId)).toContain('mime-mismatch/executable');
      expect(notes).toContain('periodic: 2 new or changed file(s) found, audited now');
      // A file changed since it was audited is audited again.
      writeFileSync(join(root, 'a.jpg'), elf());
      await until(watcher, () => (audited.get('a.jpg') ?? []).length > 0);
    } finally {
      await watcher.stop();
    }
  });
});

describe('upload-audit watch --quarantine', () => {
  it('moves what fix --apply would as files land, journaled, and restore brings them back', async () => {
    const quarantineDir = join(dir, 'q-lib');
    const root = join(dir, 'q-root');
    mkdirSync(root);
    const quarantine = new WatchQuarantine(root, quarantineDir, 'high');
    const moved: string[] = [];
    const watcher = new UploadWatcher({
      root,
      policy: defaultPolicySet(),
      settleMs: 100,
      reconcileMs: 60_000,
      onAudited: (path, findings) => {
        if (quarantine.take(findings)?.moved) moved.push(path);
      },
      onNote: () => {},
    });
    await watcher.start();
    try {
      writeFileSync(join(root, 'ok.jpg'), jpeg());
      writeFileSync(join(root, 'shell.php'), '<?php system($_GET["c"]);');
      await until(watcher, () => moved.length === 1 && !existsSync(join(root, 'shell.php')));
    } finally {
      await watcher.stop();
      quarantine.close();
    }
    expect(moved).toEqual(['shell.php']);
    expect(existsSync(join(root, 'ok.jpg'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(quarantine.runDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ root, complete: true, entries: [{ original: 'shell.php' }] });
    const restored = restoreRun(quarantine.runDir, { force: false, now: new Date() });
    expect(restored.restored).toBe(1);
    expect(readFileSync(join(root, 'shell.php'), 'utf8')).toBe('<?php system($_GET["c"]);');
  });

  it('from the command line: runs until SIGTERM, then completes the run', async () => {
    const root = join(dir, 'q-cli-root');
    const quarantineDir = join(dir, 'q-cli');
    mkdirSync(root);
    const child = spawn(process.execPath, [
      BIN,
      'watch',
      root,
      '--quarantine',
      quarantineDir,
      '--settle',
      '100',
      '--format',
      'jsonl',
    ]);
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 20_000;
    while (!stderr.includes('watching')) {
      if (Date.now() > deadline) throw new Error(`watch did not start: ${stderr}`);
      await new Promise((wait) => setTimeout(wait, 50));
    }
    writeFileSync(join(root, 'cat.png'), elf());
    while (existsSync(join(root, 'cat.png'))) {
      if (Date.now() > deadline) throw new Error(`not quarantined: ${stderr}`);
      await new Promise((wait) => setTimeout(wait, 50));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/quarantined cat\.png \(.*mime-mismatch\/executable.*\); restore .* undoes it/);
    const runs = readdirSync(quarantineDir).filter((name) => name.startsWith('run-'));
    expect(runs).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(join(quarantineDir, runs[0]!, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ complete: true, entries: [{ original: 'cat.png' }] });
  });
});
