/**
 * A file of its own: the watcher library keeps one inotify instance per process, and its queue
 * size is fixed when that instance is made, so the small queue must come before any watch.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPolicySet } from '../policy/policy.js';
import { UploadWatcher } from './watch.js';

const dir = mkdtempSync(join(tmpdir(), 'ua-overflow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const QUEUE = '/proc/sys/fs/inotify/max_queued_events';
/** Root on a system whose sysctls can be written (writing the value back changes nothing). */
function canShrinkQueue(): boolean {
  try {
    writeFileSync(QUEUE, readFileSync(QUEUE, 'utf8'));
    return true;
  } catch {
    return false;
  }
}
const shrinkable = canShrinkQueue();
if (!canShrinkQueue)
  console.warn(
    'skipped: the forced inotify overflow (needs root and a writable fs.inotify.max_queued_events)',
  );

describe('upload-audit watch when inotify overflows', () => {
  it.skipIf(!shrinkable)(
    'audits every one of 3,000 files landing into a 16-event inotify queue',
    async () => {
      const queue = QUEUE;
      const before = readFileSync(queue, 'utf8').trim();
      const root = join(dir, 'uploads');
      mkdirSync(root);
      const audited = new Set<string>();
      const notes: string[] = [];
      writeFileSync(queue, '16');
      const watcher = new UploadWatcher({
        root,
        policy: defaultPolicySet(),
        settleMs: 100,
        reconcileMs: 60_000,
        burstEvents: 64,
        onAudited: (path) => audited.add(path),
        onNote: (line) => notes.push(line),
      });
      try {
        await watcher.start();
        writeFileSync(queue, before);
        for (let i = 0; i < 3000; i++) writeFileSync(join(root, `f${i}.txt`), 'x');
        const deadline = Date.now() + 40_000;
        while (!(watcher.idle && audited.size === 3000) && Date.now() < deadline)
          await new Promise((wait) => setTimeout(wait, 50));
        // Every file audited, whether inotify dropped events or not (how many it drops varies from
        // run to run); what a reconcile found missing is said, and is no more than there were.
        expect(audited.size).toBe(3000);
        for (const note of notes) {
          const missed = /: (\d+) new or changed file\(s\) the watcher had not reported/.exec(note);
          if (missed) expect(Number(missed[1])).toBeLessThanOrEqual(3000);
        }
      } finally {
        writeFileSync(queue, before);
        await watcher.stop();
      }
    },
    60_000,
  );
});
