import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempTrees } from '../../test-support/tree.js';
import { DECODE_BYTES, type Line, logBytes, MAX_LOG_LINE_BYTES, splitLines } from './lines.js';

async function lines(chunks: (string | Buffer)[], max = 16): Promise<Line[]> {
  const source = (async function* () {
    for (const c of chunks) yield Buffer.from(c);
  })();
  const out: Line[] = [];
  for await (const line of splitLines(source, max)) out.push(line);
  return out;
}
const texts = (ls: Line[]) =>
  ls.map((l) => ('text' in l ? l.text : 'tooLong' in l ? `<${l.tooLong} bytes>` : `!${l.error}`));

describe('splitLines', () => {
  it('splits across chunks, drops CR before LF, keeps a last line without newline', async () => {
    expect(texts(await lines(['ab', 'c\r\nde', 'f\n', 'last']))).toEqual(['abc', 'def', 'last']);
    expect((await lines(['a\n\nb\n'])).map((l) => l.number)).toEqual([1, 2, 3]);
  });

  it('skips an over-long line without buffering it, and keeps counting lines', async () => {
    const ls = await lines(['short\n', 'x'.repeat(10), 'y'.repeat(30), 'z\nafter\n', 'w'.repeat(40)], 16);
    expect(texts(ls)).toEqual(['short', '<41 bytes>', 'after', '<40 bytes>']);
    expect(ls.map((l) => l.number)).toEqual([1, 2, 3, 4]);
  });

  it('decodes binary garbage and invalid UTF-8 line by line, counting the bytes', async () => {
    const ls = await lines([Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0xc0, 0xaf, 0x0d, 0x0a, 0xe2, 0x82])]);
    expect(ls).toEqual([
      { number: 1, text: '\uFFFD\uFFFD\0', bytes: 3 },
      { number: 2, text: '\uFFFD\uFFFD', bytes: 2 },
      { number: 3, text: '\uFFFD', bytes: 2 },
    ]);
  });

  it('splits a chunk of several lines, ASCII or not, as it splits them one chunk each', async () => {
    const text = 'a\r\n\nb\u00e9\n\u{1F600}x\r\ny'.repeat(3);
    const whole = await lines([text], 64);
    expect(whole).toEqual(
      await lines(
        [...Buffer.from(text)].map((byte) => Buffer.from([byte])),
        64,
      ),
    );
    expect(whole.slice(0, 4)).toEqual([
      { number: 1, text: 'a', bytes: 1 },
      { number: 2, text: '', bytes: 0 },
      { number: 3, text: 'b\u00e9', bytes: 3 },
      { number: 4, text: '\u{1F600}x', bytes: 5 },
    ]);
  });

  it('decodes a chunk larger than a window as it decodes each line alone', async () => {
    // Windows of ASCII and of non-ASCII lines, invalid and cut UTF-8, CRs, empty lines, a line
    // longer than a window (4-byte characters across its edges) and one longer than the limit.
    const parts: Buffer[] = [];
    for (let i = 0; i < 1200; i++) {
      const wide = i > 400 && i < 800 ? '\u00e9\u{1F600}'.repeat(i % 5) : '';
      const bad = i % 50 === 0 ? Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]) : Buffer.alloc(0);
      const rest = `${'x'.repeat((i * 97) % 300)}${i % 7 === 0 ? '\r' : ''}\n`;
      parts.push(Buffer.concat([Buffer.from(wide), bad, Buffer.from(rest)]));
      if (i === 100) parts.push(Buffer.from(`${'\u{1F600}'.repeat(DECODE_BYTES / 3)}\n`));
      if (i === 900) parts.push(Buffer.from(`${'y'.repeat(MAX_LOG_LINE_BYTES + 1)}\n`));
    }
    parts.push(Buffer.from('last'));
    const alone = await lines(parts, MAX_LOG_LINE_BYTES);
    expect(alone).toHaveLength(1203);
    const whole = Buffer.concat(parts);
    expect(whole.length).toBeGreaterThan(6 * DECODE_BYTES);
    expect(await lines([whole], MAX_LOG_LINE_BYTES)).toEqual(alone);
  });
});

describe('logBytes', () => {
  const tree = tempTrees();

  it('inflates gzip by its magic bytes, whatever the name', async () => {
    const dir = tree({ 'a.log': gzipSync('one\ntwo\n'), 'b.log.gz': 'plain\n' });
    const read = async (name: string) => {
      const out: string[] = [];
      for await (const l of splitLines(logBytes(`${dir}/${name}`))) out.push('text' in l ? l.text : '?');
      return out;
    };
    expect(await read('a.log')).toEqual(['one', 'two']);
    expect(await read('b.log.gz')).toEqual(['plain']);
  });

  it('reports a truncated gzip stream as an error line instead of throwing', async () => {
    const whole = gzipSync(Buffer.from('line\n'.repeat(10_000)));
    const dir = tree({ 'cut.gz': whole.subarray(0, whole.length / 2) });
    const out: Line[] = [];
    for await (const l of splitLines(logBytes(`${dir}/cut.gz`))) out.push(l);
    expect(out.at(-1)).toMatchObject({ error: expect.stringMatching(/end of file|unexpected/i) });
    expect(out.filter((l) => 'text' in l).length).toBeGreaterThan(0);
  });
});
