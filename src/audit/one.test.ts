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

describe('content identity past maxHashBytes', () => {
  it('a large item is not hashed whole: no sha256, and its fingerprint follows its size and ends', async () => {
    const base = defaultPolicySet();
    const policy = { ...base, bounds: { ...base.bounds, maxHashBytes: 64 * 1024 } };
    const auditor = new Auditor(policy, NOW.getTime());
    const big = Buffer.concat([Buffer.from('<?php system($_GET[1]); ?>'), Buffer.alloc(200 * 1024, 0x20)]);
    const first = await auditBytes(inMemory(big), { name: 'shell.php' }, auditor);
    const again = await auditBytes(inMemory(Buffer.from(big)), { name: 'shell.php' }, auditor);
    const changed = Buffer.from(big);
    changed[5] = 0x58;
    const other = await auditBytes(inMemory(changed), { name: 'shell.php' }, auditor);
    expect(first.findings.length).toBeGreaterThan(0);
    expect(first.findings.every((f) => f.sha256 === undefined)).toBe(true);
    expect(again.findings.map((f) => f.fingerprint)).toEqual(first.findings.map((f) => f.fingerprint));
    expect(other.findings[0]!.fingerprint).not.toBe(first.findings[0]!.fingerprint);
    const small = await auditBytes(
      inMemory(Buffer.from('<?php system($_GET[1]); ?>')),
      { name: 'shell.php' },
      auditor,
    );
    expect(small.findings[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
