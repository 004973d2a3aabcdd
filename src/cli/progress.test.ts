import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../model/counters.js';
import { progressLine } from './progress.js';

function fakeStream(isTTY: boolean, columns = 120) {
  const writes: string[] = [];
  return {
    stream: { isTTY, columns, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream,
    writes,
  };
}

describe('progressLine', () => {
  it('redraws one escaped line in place at most every 100 ms, and erases it at the end', () => {
    const { stream, writes } = fakeStream(true);
    let t = 0;
    const line = progressLine(stream, true, () => t)!;
    const counters = { ...emptyCounters(), entries: 1500, files: 1000 };
    t = 500;
    line.update({ counters, current: 'evil\x1b[2Jdir' });
    t = 550;
    line.update({ counters, current: 'skipped: too soon' });
    t = 1000;
    line.update({ counters: { ...counters, files: 3000 }, current: 'a/b' });
    line.done();
    expect(writes).toEqual([
      '\r\x1b[2Kscanning: 1,500 entries, 2,000 files/s, 0.5 s, in evil\\x1b[2Jdir',
      '\r\x1b[2Kscanning: 1,500 entries, 3,000 files/s, 1.0 s, in a/b',
      '\r\x1b[2K',
    ]);
  });

  it('fits the terminal width', () => {
    const { stream, writes } = fakeStream(true, 40);
    progressLine(stream, true, () => 1000)!.update({
      counters: emptyCounters(),
      current: 'a/very/long/folder/name/indeed',
    });
    expect(writes[0]!.length - '\r\x1b[2K'.length).toBe(39);
    expect(writes[0]!.endsWith('…')).toBe(true);
  });

  it('is off when stderr is not a terminal, or when disabled (CI, --quiet)', () => {
    expect(progressLine(fakeStream(false).stream, true)).toBeUndefined();
    expect(progressLine(fakeStream(true).stream, false)).toBeUndefined();
  });
});
