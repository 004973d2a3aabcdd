import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalFile } from './local-file.js';
import { MemoryBytes } from './memory-bytes.js';
import { readPiece } from './read.js';

const dir = mkdtempSync(join(tmpdir(), 'ua-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readPiece', () => {
  const bytes = Buffer.from('0123456789abcdef');

  it('fills the caller’s buffer from a file, piece after piece, short only at the end', async () => {
    const path = join(dir, 'f');
    writeFileSync(path, bytes);
    const file = new LocalFile(openSync(path, 'r'), bytes.length);
    const buffer = Buffer.alloc(6);
    const pieces: string[] = [];
    for (let at = 0; at < bytes.length; at += 6) {
      const piece = await readPiece(file, buffer, at, bytes.length - at);
      expect(piece.buffer).toBe(buffer.buffer);
      pieces.push(piece.toString());
    }
    file.close();
    expect(pieces).toEqual(['012345', '6789ab', 'cdef']);
  });

  it('reads a source without readInto in a buffer of its own, within the caller’s length', async () => {
    const buffer = Buffer.alloc(6);
    const piece = await readPiece(new MemoryBytes(bytes), buffer, 4, 100);
    expect(piece.toString()).toBe('456789');
    expect(piece.buffer).not.toBe(buffer.buffer);
  });
});
