import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { symlink, tempTrees, writeRawName } from '../../test-support/tree.js';
import { type DirectoryJob, entryAt, type Listing, listDirectory, SMALL_FOLDER_BYTES } from './listing.js';

const tree = tempTrees();

/** What a listing says of each entry, in its order. */
function described(job: DirectoryJob): string[] {
  const listing = listDirectory(job);
  return listing.names.map((_, i) => {
    const entry = entryAt(job, listing, i);
    return `${entry.path} ${entry.kind} ${entry.decodedName} ${entry.pathBase64 ?? ''}`;
  });
}

describe('listing a folder', () => {
  it('gives the same entries in the same order in one call (small) as through a handle (large or unknown)', () => {
    const root = tree({ 'a.jpg': 'x', 'shell.php': '<?php', sub: {}, link: symlink('/etc/passwd') });
    for (let i = 0; i < 600; i++) writeRawName(root, Buffer.from(`f${i}.txt`));
    writeRawName(root, Buffer.from([0x62, 0xff, 0x2e, 0x70, 0x68, 0x70])); // b\xff.php
    writeRawName(root, Buffer.from('caf\u00e9 \u202e.jpg'));
    const job = (size?: number): DirectoryJob => ({
      path: 'up',
      fsPath: root,
      ...(size !== undefined && { size }),
    });
    const small = described(job(4096));
    expect(small).toHaveLength(606);
    expect(small.filter((line) => line.includes('\ufffd'))).toHaveLength(1);
    expect(described(job(SMALL_FOLDER_BYTES))).toEqual(small);
    expect(described(job())).toEqual(small);
  });

  it('streams a folder of more entries than the limit: every entry once, bytes of names kept', () => {
    const root = tree({ sub: {}, 'a.php': '<?php', '\ufffd-literal.jpg': 'x', link: symlink('/etc/passwd') });
    for (let i = 0; i < 650; i++) writeRawName(root, Buffer.from(`f${i}.txt`));
    for (let i = 0; i < 40; i++)
      writeRawName(root, Buffer.from([0x62, 0xff, 0x61 + (i % 26), 0x41 + Math.floor(i / 26), 0x2e, 0x70]));
    const job: DirectoryJob = { path: 'up', fsPath: root };
    const all = described(job);
    expect(all).toHaveLength(694);
    const lines = (listing: Listing): string[] =>
      listing.names.map((_, i) => {
        const entry = entryAt(job, listing, i);
        return `${entry.path} ${entry.kind} ${entry.decodedName} ${entry.pathBase64 ?? ''}`;
      });
    for (const limit of [0, 1, 7, 600, 693]) {
      const first = listDirectory(job, limit);
      expect(first.rest).toBeDefined();
      expect(first.names.length).toBeLessThanOrEqual(limit + 1);
      const seen = lines(first);
      for (let batch = first.rest!.read(50); batch.names.length > 0; batch = first.rest!.read(50)) {
        expect(batch.names.length).toBeLessThanOrEqual(50);
        seen.push(...lines(batch));
      }
      expect(first.rest!.done).toBe(true);
      expect(seen.sort()).toEqual([...all].sort());
    }
    // At the limit or under it, the folder is listed and sorted as before.
    expect(listDirectory(job, 694).rest).toBeUndefined();
  });

  it('throws the fs error for a folder that is gone, either way', () => {
    const gone = join(tree({}), 'gone');
    expect(() => listDirectory({ path: 'gone', fsPath: gone, size: 4096 })).toThrow(/ENOENT/);
    expect(() => listDirectory({ path: 'gone', fsPath: gone })).toThrow(/ENOENT/);
    mkdirSync(gone);
    expect(listDirectory({ path: 'gone', fsPath: gone }).names).toEqual([]);
  });
});
