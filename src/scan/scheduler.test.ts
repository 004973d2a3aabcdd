import { describe, expect, it } from 'vitest';
import { elf, jpeg } from '../test-support/bytes.js';
import { reportsByThreads } from '../test-support/cli.js';
import { symlink, type Tree, tempTrees } from '../test-support/tree.js';

const tree = tempTrees();

/** A chain `depth` folders deep, each holding a clean file and a finding. */
function chain(depth: number): Tree {
  const level: Tree = { 'ok.jpg': jpeg(), 'x.php': '<?php' };
  if (depth > 1) level.down = chain(depth - 1);
  return level;
}

describe('worker threads', () => {
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
});
