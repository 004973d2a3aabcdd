import { describe, expect, it } from 'vitest';
import { escapeUnsafe, jsonAsciiSafe, printableBytes } from './escape.js';

describe('escapeUnsafe', () => {
  it.each([
    ['plain name.jpg', 'plain name.jpg'],
    ['a\nb', 'a\\nb'],
    ['tab\there', 'tab\\there'],
    ['\x1b[31mred\x1b[0m', '\\x1b[31mred\\x1b[0m'],
    ['\x1b]0;title\x07', '\\x1b]0;title\\x07'],
    ['invoice_\u202Efdp.exe', 'invoice_\\u{202e}fdp.exe'],
    ['\u2066isolate\u2069', '\\u{2066}isolate\\u{2069}'],
    ['zero\u200bwidth', 'zero\\u{200b}width'],
    ['c1\u009bcsi', 'c1\\x9bcsi'],
    ['del\x7f', 'del\\x7f'],
    ['résumé 履歴書 😀', 'résumé 履歴書 😀'],
    ['lone\ud800', 'lone\\u{d800}'],
  ])('%j', (input, expected) => {
    expect(escapeUnsafe(input)).toBe(expected);
  });

  it('lets no control character through, for every code point below 0x100', () => {
    for (let code = 0; code < 0x100; code++) {
      const out = escapeUnsafe(String.fromCharCode(code));
      expect(out).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    }
  });
});

describe('printableBytes', () => {
  it('keeps valid UTF-8 and writes invalid bytes as \\xNN', () => {
    expect(printableBytes(Buffer.from('ok.txt'))).toBe('ok.txt');
    expect(printableBytes(Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x6a, 0x70, 0x67]))).toBe(
      'bad\\xff.jpg',
    );
    expect(printableBytes(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf');
    expect(printableBytes(Buffer.from('履歴', 'utf8'))).toBe('履歴');
    expect(printableBytes(Buffer.from([0xe5, 0xb1]))).toBe('\\xe5\\xb1');
  });
});

describe('jsonAsciiSafe', () => {
  it('escapes bidi and separators inside JSON strings and stays valid JSON', () => {
    const text = jsonAsciiSafe(JSON.stringify({ name: 'a\u202Eb\u2028c' }));
    expect(text).toBe('{"name":"a\\u202eb\\u2028c"}');
    expect(JSON.parse(text)).toEqual({ name: 'a\u202Eb\u2028c' });
  });
});
