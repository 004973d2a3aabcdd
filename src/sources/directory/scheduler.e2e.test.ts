import { describe, expect, it } from 'vitest';
import { elf, jpeg } from '../../test-support/bytes.js';
import { reportsByThreads } from '../../test-support/cli.js';
import { symlink, type Tree, tempTrees, writeRawName } from '../../test-support/tree.js';
import { workerModule } from '../../util/worker-module.js';
import { runScan } from './run.js';
import { ENTRIES_PER_SLICE } from './scanner.js';

const tree = tempTrees();

/** A chain `depth` folders deep, each holding a clean file and a finding. */
function chain(depth: number): Tree {
  const level: Tree = { 'ok.jpg': jpeg(), 'x.php': '<?php' };
  if (depth > 1) level.down = chain(depth - 1);
  return level;
}

/**
 * `count` uploads named x\xff<two letters>.php in `folder`: not UTF-8, and the extension is read
 * from the decoded name, so their bytes must survive whatever path they take.
 */
function writeNotUtf8Php(folder: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const name = [0x78, 0xff, 0x61 + (i % 26), 0x41 + Math.floor(i / 26), 0x2e, 0x70, 0x68, 0x70];
    writeRawName(folder, Buffer.from(name), jpeg());
  }
}

describe('worker threads', () => {
  it('do all the scanning when threads are asked for, and a worker that cannot start is an error', async () => {
    const spec: Tree = {};
    for (let i = 0; i < 40; i++)
      spec[`d${i}`] = { 'a.jpg': jpeg(), 'b.php': '<?php', sub: { 'c.png': elf() } };
    const root = tree(spec);
    const threadsUsed = new Set<number>();
    const report = await runScan({
      root,
      failOn: 'high',
      allowUnevaluated: false,
      concurrency: 3,
      threadsUsed,
    });
    expect(report.summary.files).toBe(120);
    expect([...threadsUsed].filter((t) => t !== 0).length).toBeGreaterThan(0);
    // This thread (threadId 0) collects; only workers, whose young generation is bounded, read.
    expect(threadsUsed.has(0)).toBe(false);
    expect(() => workerModule('./no-such-worker.js', import.meta.url)).toThrow(
      /worker threads cannot start: .*no-such-worker\.js is missing/,
    );
  });

  it('share directories between threads and report exactly what one thread reports', () => {
    // Wide folders next to a deep chain: threads run dry at different times and must share.
    const spec: Tree = { deep: chain(40), link: symlink('/etc/passwd') };
    for (let i = 0; i < 30; i++) {
      spec[`wide-${i}`] = { 'a.jpg': jpeg(), 'b.png': elf(), sub: { 'c.phtml': '<?php', 'd.jpg': jpeg() } };
    }
    const root = tree(spec);
    const out = tree({});
    const reports = reportsByThreads(['scan', root], out);
    const single = JSON.parse(reports[0]!);
    expect(single.summary.files).toBe(40 * 2 + 30 * 4);
    expect(reports[1]).toBe(reports[0]);
    expect(reports[2]).toBe(reports[0]);
  });

  it('cut a large folder into slices that threads share, and report what one thread reports', () => {
    // Twelve and a half slices of uploads in one folder, enough for a worker to start and take
    // some, with findings and 200 names that are not UTF-8 (their bytes cross threads in slices).
    const spec: Tree = { sub: { 'inner.php': '<?php' } };
    const count = ENTRIES_PER_SLICE * 12 + 500;
    for (let i = 0; i < count; i++) spec[`u${i}.${i % 10 === 0 ? 'php' : 'jpg'}`] = jpeg();
    const root = tree({ flat: spec });
    writeNotUtf8Php(`${root}/flat`, 200);
    const out = tree({});
    const reports = reportsByThreads(['scan', root], out);
    const single = JSON.parse(reports[0]!);
    expect(single.summary.files).toBe(count + 200 + 1);
    const raw = single.findings.filter(
      (f: { pathBase64?: string; ruleId: string }) =>
        f.pathBase64 !== undefined && f.ruleId === 'dangerous-extension/server-script',
    );
    expect(raw).toHaveLength(200);
    expect(reports[1]).toBe(reports[0]);
    expect(reports[2]).toBe(reports[0]);
  });

  it('scan folders of more entries than --list-limit as they are read, and report what listing does', () => {
    // The root (always read through a handle: its stream is the main thread's) with 1,500
    // uploads, folders among them, a name that holds U+FFFD as text and 120 that are not UTF-8
    // (read in a last pass as bytes); two folders of 3,000 (over 64 KiB: read through a handle,
    // streamed by whichever thread takes them, in batches of a thousand).
    const spec: Tree = { '\ufffd-literal.php': '<?php' };
    for (let i = 0; i < 1500; i++) spec[`u${i}.${i % 10 === 0 ? 'php' : 'jpg'}`] = jpeg();
    for (let i = 0; i < 30; i++) spec[`d${i}`] = { 'inner.php': '<?php', 'ok.jpg': jpeg() };
    for (const big of ['big-a', 'big-b']) {
      const folder: Tree = {};
      for (let i = 0; i < 3000; i++) folder[`upload-${big}-${i}.${i % 10 === 0 ? 'php' : 'jpg'}`] = jpeg();
      spec[big] = folder;
    }
    const root = tree(spec);
    writeNotUtf8Php(root, 120);
    const listed = reportsByThreads(['scan', root], tree({}));
    expect(JSON.parse(listed[0]!).summary.files).toBe(1 + 1500 + 60 + 6000 + 120);
    const streamed = reportsByThreads(['scan', root, '--list-limit', '700'], tree({}));
    expect(streamed).toEqual(listed);
  });
});
