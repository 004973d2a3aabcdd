import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { elf, jpeg } from '../test-support/bytes.js';
import { cli, cliInProcess, normalizeTiming } from '../test-support/cli.js';
import { fifo, symlink, tempTrees, writeRawName } from '../test-support/tree.js';
import { shardOf } from '../util/shard.js';

const tree = tempTrees();

describe('scan --shard K/N and merge', () => {
  it('N shards merged give the report of a single run, up to timing', async () => {
    const root = tree({
      a: { 'x.php': '<?php', 'ok.jpg': jpeg(), deep: { 'cat.png': elf(), 'y.phtml': '<?php' } },
      b: { '.htaccess': 'x', link: symlink('/etc/passwd'), pipe: fifo() },
      'run.jpg': jpeg(),
    });
    writeRawName(join(root, 'a'), Buffer.from([0x62, 0xff, 0x2e, 0x70, 0x68, 0x70]), '<?php');
    const out = tree({});
    const single = join(out, 'single.json');
    await cliInProcess(['scan', root, '--format', 'json', '-o', single, '-q']);
    for (const n of [2, 3, 5]) {
      const parts = Array.from({ length: n }, (_, i) => join(out, `part-${i + 1}-of-${n}.json`));
      for (const [i, part] of parts.entries())
        await cliInProcess(['scan', root, '--shard', `${i + 1}/${n}`, '--format', 'json', '-o', part, '-q']);
      const counts = parts.map((p) => JSON.parse(readFileSync(p, 'utf8')).summary.findings as number);
      expect(counts.filter((c) => c > 0).length).toBeGreaterThan(1);
      const merged = join(out, `merged-${n}.json`);
      const run = await cliInProcess(['merge', ...parts, '--format', 'json', '-o', merged, '-q']);
      expect(run.status).toBe(1);
      expect(normalizeTiming(readFileSync(merged, 'utf8'))).toBe(
        normalizeTiming(readFileSync(single, 'utf8')),
      );
    }
  });

  it('an unreadable folder is reported by one shard only', async () => {
    if (process.getuid?.() !== 0) return;
    const root = tree({ locked: { 'x.jpg': jpeg() }, 'a.jpg': jpeg() });
    chmodSync(root, 0o755);
    chmodSync(join(root, 'locked'), 0o000);
    const out = tree({});
    chmodSync(out, 0o777);
    const parts = [1, 2, 3].map((k) => join(out, `p${k}.json`));
    for (const [i, part] of parts.entries()) {
      cli(['scan', root, '--shard', `${i + 1}/3`, '--format', 'json', '-o', part, '-q'], {
        uid: 65534,
        gid: 65534,
      });
    }
    const merged = JSON.parse((await cliInProcess(['merge', ...parts, '--format', 'json'])).stdout);
    expect(merged.notEvaluated).toEqual([
      { path: 'locked', reason: 'unreadable-directory', detail: 'EACCES' },
    ]);
  });

  it('refuses missing, repeated or foreign shards with one clear line', async () => {
    const root = tree({ 'x.php': '<?php' });
    const other = tree({ 'y.php': '<?php' });
    const out = tree({});
    const part = async (dir: string, shard: string, name: string) => {
      const file = join(out, name);
      await cliInProcess(['scan', dir, '--shard', shard, '--format', 'json', '-o', file, '-q']);
      return file;
    };
    const p1 = await part(root, '1/2', 'p1.json');
    const p2 = await part(root, '2/2', 'p2.json');
    const foreign = await part(other, '2/2', 'foreign.json');
    expect((await cliInProcess(['merge', p1])).stderr).toBe('upload-audit: missing shard 2/2\n');
    expect((await cliInProcess(['merge', p1, p1, p2])).stderr).toBe(
      'upload-audit: shard 1/2 is given twice\n',
    );
    expect((await cliInProcess(['merge', p1, foreign])).stderr).toMatch(/is from another scan/);
    expect((await cliInProcess(['scan', root, '--shard', '3/2'])).stderr).toMatch(
      /^upload-audit: --shard '3\/2': expected K\/N/,
    );
  });

  it('partitions by a stable hash of the raw path bytes', async () => {
    expect(shardOf('2024/03/a.jpg', 4)).toBe(shardOf(Buffer.from('2024/03/a.jpg'), 4));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(`2024/${i}.jpg`, 4) - 1]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});
