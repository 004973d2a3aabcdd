import { describe, expect, it } from 'vitest';
import fc from '../test-support/fast-check.js';
import { DEFAULT_LIMITS } from './limits.js';
import { MemoryBytes } from './memory-bytes.js';
import { isOneNote, oneNoteArchive } from './onenote.js';

const SECTION = Buffer.from('e4525c7b8cd8a74daeb15378d02996d3', 'hex');
const FILE_DATA = Buffer.from('e716e3bd65261145a4c48d4d0b7a9eac', 'hex');

describe('OneNote sections on hostile bytes', () => {
  it('lists what it finds within the bounds, and never throws, whatever follows the headers', async () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.constant(FILE_DATA),
      fc.constant(Buffer.from([0x0a, 0, 0, 0, 0x61, 0, 0x2e, 0, 0x65, 0, 0x78, 0, 0x65, 0])),
      fc.constant(Buffer.alloc(8, 0xff)),
    );
    const limits = { ...DEFAULT_LIMITS, maxArchiveEntries: 5 };
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), async (pieces) => {
        const bytes = Buffer.concat([SECTION, ...pieces.map((p) => Buffer.from(p))]);
        expect(isOneNote(bytes)).toBe(true);
        const result = await oneNoteArchive(new MemoryBytes(bytes), limits);
        if (result) {
          expect(result.facts.entries.length).toBeLessThanOrEqual(5);
          for (const entry of result.facts.entries)
            expect(entry.declaredSize).toBeLessThanOrEqual(bytes.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
