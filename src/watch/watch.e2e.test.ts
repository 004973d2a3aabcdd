import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../model/types.js';
import { defaultPolicySet } from '../policy/policy.js';
import { elf, jpeg } from '../test-support/bytes.js';
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
