import { describe, expect, it } from 'vitest';
import fc from '../test-support/fast-check.js';
import { mayHoldCode } from './active.js';

/** The definition the fast pre-filter must match: any of these byte strings anywhere. */
const MARKERS = ['<?', '<%', '<s', '<S', '<h', '<H', '<i', '<I', '<j', '<!', '__halt', '__HALT'];
const reference = (bytes: Uint8Array): boolean =>
  MARKERS.some((m) => Buffer.from(bytes).includes(Buffer.from(m, 'latin1')));

describe('mayHoldCode', () => {
  it('agrees with a search for every marker, on bytes rich in near misses', () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom(...MARKERS, '<', '_', '__', '__hal', '__Halt', '<x', '<<', '<?'.slice(0, 1)),
    );
    const bytes = fc
      .array(piece, { maxLength: 30 })
      .map((parts) =>
        Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))),
      );
    fc.assert(
      fc.property(bytes, fc.nat(8), (buf, offset) => {
        // Views into a larger buffer too: the search must stay inside the view.
        const wider = Buffer.concat([Buffer.from('<?'.repeat(offset)), buf, Buffer.from('<s')]);
        const view = wider.subarray(offset * 2, offset * 2 + buf.length);
        expect(mayHoldCode(view)).toBe(reference(view));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds a marker in the last two bytes and ignores a lone trailing <', () => {
    expect(mayHoldCode(Buffer.from('\x00\x01<?'))).toBe(true);
    expect(mayHoldCode(Buffer.from('\x00\x01<'))).toBe(false);
    expect(mayHoldCode(new Uint8Array())).toBe(false);
  });
});
