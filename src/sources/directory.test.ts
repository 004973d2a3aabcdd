import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { symlink, tempTrees, writeRawName } from '../test-support/tree.js';
import { type DirectoryJob, entryAt, listDirectory, SMALL_FOLDER_BYTES } from './directory.js';

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

  it('throws the fs error for a folder that is gone, either way', () => {
    const gone = join(tree({}), 'gone');
    expect(() => listDirectory({ path: 'gone', fsPath: gone, size: 4096 })).toThrow(/ENOENT/);
    expect(() => listDirectory({ path: 'gone', fsPath: gone })).toThrow(/ENOENT/);
    mkdirSync(gone);
    expect(listDirectory({ path: 'gone', fsPath: gone }).names).toEqual([]);
  });
});
