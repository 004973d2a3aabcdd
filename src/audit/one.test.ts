import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../model/types.js';
import { defaultPolicySet } from '../policy/policy.js';
import { auditPath } from '../sources/directory/one.js';
import { runScan } from '../sources/directory/run.js';
import { elf, jpeg, png } from '../test-support/bytes.js';
import { file, symlink, tempTrees } from '../test-support/tree.js';
import { Auditor } from './auditor.js';
import { auditBytes } from './one.js';

const tree = tempTrees();
const NOW = new Date('2026-01-01T00:00:00Z');

/** Bytes in memory as a ByteSource, as a check server holds an upload. */
const inMemory = (bytes: Buffer): ByteSource => ({
  size: bytes.length,
  read: async (position, length) => Buffer.from(bytes.subarray(position, position + length)),
  close: () => {},
});

describe('auditing one item', () => {
  const spec = {
    'ok.jpg': jpeg(),
    up: { 'cat.png': elf(), 'shell.php.jpg': '<?php system($_GET[1]);', 'run.png': file(png(), 0o755) },
    'pw.txt': symlink('/etc/passwd'),
  };

  it('a file below a root gives exactly the findings a full scan gives it', async () => {
    const root = tree(spec);
    const full = await runScan({
      root,
      failOn: 'none',
      allowUnevaluated: true,
      concurrency: 1,
      now: () => NOW,
    });
    const auditor = new Auditor(defaultPolicySet(), NOW.getTime());
    for (const path of ['ok.jpg', 'up/cat.png', 'up/shell.php.jpg', 'up/run.png', 'pw.txt']) {
      const one = await auditPath(root, path, auditor);
      expect(one.findings, path).toEqual(full.findings.filter((f) => f.path === path));
    }
    expect((await auditPath(root, 'gone.jpg', auditor)).notEvaluated).toEqual({
      path: 'gone.jpg',
      reason: 'vanished',
    });
  });

  it('bytes in flight give the findings of the same file on disk, and the declared type is judged', async () => {
    const root = tree(spec);
    const auditor = new Auditor(defaultPolicySet(), NOW.getTime());
    const onDisk = await auditPath(root, 'up/shell.php.jpg', auditor);
    const bytes = readFileSync(join(root, 'up/shell.php.jpg'));
    const inFlight = await auditBytes(
      inMemory(bytes),
      { name: 'shell.php.jpg' },
      auditor,
      'up/shell.php.jpg',
    );
    expect(inFlight.findings.map((f) => f.ruleId).sort()).toEqual(
      onDisk.findings.map((f) => f.ruleId).sort(),
    );
    expect(inFlight.findings.map((f) => f.fingerprint).sort()).toEqual(
      onDisk.findings.map((f) => f.fingerprint).sort(),
    );
    const clean = await auditBytes(
      inMemory(jpeg()),
      { name: 'photo.jpg', contentType: 'image/jpeg' },
      auditor,
    );
    expect(clean.findings).toEqual([]);
    expect(clean.facts.detected?.mime).toBe('image/jpeg');
  });
});
