/**
 * Property-based tests over everything that touches attacker-controlled text: escapers, the
 * name classifier, the traversal decoder and the log parsers. No input may crash them, take
 * unbounded time, or let a control byte through an escaper.
 */

import { describe, expect, it } from 'vitest';
import { evaluate } from '../audit/evaluate.js';
import { analyzeName, decodeRepeatedly, isPlainName, traversalForms } from '../inspect/names.js';
import { DEFAULT_POLICY } from '../policy/policy.js';
import { mdEscape } from '../reporters/markdown.js';
import { xmlEscape } from '../reporters/shared.js';
import { RULES } from '../rules/index.js';
import { uploadRecord } from '../sources/log/auditor.js';
import { DEFAULT_UPLOAD_PATH, parseCombinedLine } from '../sources/log/combined.js';
import { parseElbLine } from '../sources/log/elb.js';
import { envelopeOf } from '../sources/log/envelope.js';
import { parseEnvoyLine } from '../sources/log/envoy.js';
import { parseHaproxyLine } from '../sources/log/haproxy.js';
import { parseJsonLine } from '../sources/log/jsonl.js';
import { type Line, splitLines } from '../sources/log/lines.js';
import { parseLogfmtLine } from '../sources/log/logfmt.js';
import { parseS3AccessLine } from '../sources/log/s3-access.js';
import { parseW3cLine } from '../sources/log/w3c.js';
import fc from '../test-support/fast-check.js';
import { facts } from '../test-support/rule-tester.js';
import { escapeUnsafe, jsonAsciiSafe, printableBytes } from './escape.js';

/** Strings with a high share of the characters that make trouble. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom(
      '\0',
      '\n',
      '\r',
      '\t',
      '\x1b',
      '[',
      '\x9b',
      '\x7f',
      '\u202e',
      '\u2066',
      '\u200b',
      '\ufeff',
      '\ud800',
      '%',
      '2',
      'e',
      'f',
      'c',
      '0',
      'a',
      '.',
      '/',
      '\\',
      ':',
      ';',
      '|',
      '`',
      '<',
      '>',
      '&',
      '"',
      "'",
      '*',
      '_',
      'p',
      'h',
      ']',
      ']]>',
    ),
    maxLength: 120,
  }),
);

const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const BIDI_OR_INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const RUNS = { numRuns: 2000 };

describe('escapers are total and let no control byte through', () => {
  it('escapeUnsafe (terminal)', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const out = escapeUnsafe(s);
        return (
          !/[\u0000-\u001f\u007f-\u009f]/.test(out) &&
          !BIDI_OR_INVISIBLE.test(out) &&
          !LONE_SURROGATE.test(out)
        );
      }),
      RUNS,
    );
  });

  it('xmlEscape (JUnit, SVG, HTML): no markup, nothing XML 1.0 forbids', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const out = xmlEscape(s);
        return (
          !/[<>"']/.test(out) &&
          !/&(?!(amp|lt|gt|quot|apos);)/.test(out) &&
          !FORBIDDEN_CONTROL.test(out) &&
          !/[\ufffe\uffff]/.test(out) &&
          !LONE_SURROGATE.test(out) &&
          !out.includes(']]>')
        );
      }),
      RUNS,
    );
  });

  it('mdEscape (Markdown tables): no pipe, backtick, markup, line break or control', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const out = mdEscape(s);
        return (
          !/[|`<>\n\r]/.test(out) &&
          !FORBIDDEN_CONTROL.test(out) &&
          !BIDI_OR_INVISIBLE.test(out) &&
          !/(^|[^\\])[*_[\]~]/.test(out.replace(/\\\\/g, ''))
        );
      }),
      RUNS,
    );
  });

  it('jsonAsciiSafe keeps JSON valid and the value intact', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const text = jsonAsciiSafe(JSON.stringify({ s }));
        return JSON.parse(text).s === s && !BIDI_OR_INVISIBLE.test(text) && !/[\u0000-\u001f]/.test(text);
      }),
      RUNS,
    );
  });

  it('jsonAsciiSafe escapes exactly what its pattern names, ASCII shortcut or not', () => {
    const definition = (text: string) =>
      text.replace(
        /[\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]/gu,
        (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
    fc.assert(
      fc.property(fc.oneof(hostile, fc.string({ unit: 'binary-ascii' })), (s) => {
        expect(jsonAsciiSafe(s)).toBe(definition(s));
      }),
      RUNS,
    );
  });

  it('printableBytes shows any bytes as valid text, and valid UTF-8 unchanged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const out = printableBytes(bytes);
        const buf = Buffer.from(bytes);
        return !out.includes('\uFFFD') || buf.toString('utf8') === out;
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (s) =>
        !LONE_SURROGATE.test(s) ? printableBytes(Buffer.from(s)) === s : true,
      ),
      RUNS,
    );
  });
});

describe('the name classifier and the traversal decoder', () => {
  it('never throw, never grow the input, and stay fast on long inputs', () => {
    fc.assert(
      fc.property(hostile, fc.boolean(), (s, plus) => {
        const { decoded } = decodeRepeatedly(s, { plusAsSpace: plus });
        traversalForms(s, { plusAsSpace: plus });
        analyzeName(s);
        return decoded.length <= s.length;
      }),
      RUNS,
    );
    // Bounded work, not a clock: decoding stops after its rounds, so a long input ends (the test
    // timeout is the backstop) and decodes to no more than it was.
    const long = '%25'.repeat(30_000) + '%2e%2e%2f'.repeat(30_000);
    expect(decodeRepeatedly(long).decoded.length).toBeLessThanOrEqual(long.length);
    traversalForms(long);
    analyzeName(long);
  });

  it('finds a dot-dot segment however many times it was encoded (within the bound)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.constantFrom('/', '\\'), (rounds, sep) => {
        let s = `..${sep}x`;
        for (let i = 0; i < rounds; i++) s = encodeURIComponent(s);
        return traversalForms(s).forms.includes('dot-dot');
      }),
    );
  });
});

describe('rules that skip plain names', () => {
  // The same rules without the flag: evaluate then calls every one of them for every name.
  const everyRule = RULES.map(({ skipsPlainNames: _skips, ...rule }) => rule);
  const plainNames = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}$/),
    fc.constantFrom(
      'CON.txt',
      'nul',
      'com1.jpg',
      'shell.php.',
      'a.php.jpg',
      'x.phtml',
      'a..b',
      'x'.repeat(255),
    ),
  );

  it('find nothing in them: evaluate gives what calling every rule gives', () => {
    expect(RULES.filter((rule) => rule.skipsPlainNames).length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.oneof(plainNames, hostile), fc.boolean(), (name, fromLog) => {
        const file = fromLog
          ? uploadRecord({ filename: name, contentType: 'image/jpeg' })!
          : facts(name, { mode: 0o100777 });
        expect(evaluate(file, DEFAULT_POLICY)).toEqual(evaluate(file, DEFAULT_POLICY, everyRule));
      }),
      RUNS,
    );
  });

  it('are called for every name that is not plain', () => {
    fc.assert(
      fc.property(hostile, (name) => {
        fc.pre(!isPlainName(name));
        const file = facts(name);
        const called: string[] = [];
        const spies = RULES.map((rule) => ({
          ...rule,
          check: (f: typeof file, context: Parameters<typeof rule.check>[1]) => {
            called.push(rule.id);
            return rule.check(f, context);
          },
        }));
        evaluate(file, DEFAULT_POLICY, spies);
        return RULES.every((rule) => !rule.kinds.includes('file') || rule.needs || called.includes(rule.id));
      }),
      RUNS,
    );
  });
});

describe('the log parsers', () => {
  const uploads = new RegExp(DEFAULT_UPLOAD_PATH, 'i');

  it('never throw on any line', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        parseJsonLine(s, {});
        parseJsonLine(`{"filename":${JSON.stringify(s)},"size":${JSON.stringify(s)}}`, { user: 'a.b.c' });
        parseCombinedLine(s, uploads);
        parseCombinedLine(`1.2.3.4 - - [x] "POST /upload?filename=${s} HTTP/1.1" 201 1 "-" "-"`, uploads);
        parseCombinedLine(
          `1.2.3.4 - - [x] "GET /?page=../uploads/${s}&cmd=${s} HTTP/1.1" 200 1 "-" "-"`,
          uploads,
        );
        parseJsonLine(
          `{"request":{"method":"GET","uri":${JSON.stringify(`/uploads/${s}?c=${s}`)}},"status":200}`,
          {},
          uploads,
        );
        parseJsonLine(`{"request":${JSON.stringify(s)},"client":{"ip":1}}`, {}, uploads);
        parseW3cLine(s, uploads, {});
        parseElbLine(s, uploads);
        parseElbLine(
          `h2 2024-10-10T13:56:00.1Z lb 1.2.3.4:1 - 0 0 0 200 200 1 1 "GET https://h${s} HTTP/2.0" "-"`,
          uploads,
        );
        parseHaproxyLine(s, uploads);
        parseHaproxyLine(
          `haproxy[1]: 1.2.3.4:5 [06/Feb/2024:12:14:14.655] f b/s 1/2/3 200 1 - - ---- 0/0 "${s}"`,
          uploads,
        );
        parseS3AccessLine(s);
        parseS3AccessLine(`o b [t] 1.2.3.4 - r REST.PUT.OBJECT ${s} "PUT / HTTP/1.1" 200 - - 1 1 1 "-" "-"`);
        parseLogfmtLine(s, uploads);
        parseEnvoyLine(s, uploads);
        parseEnvoyLine(`[2026-12-07T02:00:00Z] "GET /uploads/${s}" 200 - 0 1 1 1 "${s}" "-"`, uploads);
        parseLogfmtLine(`at=info method=${s} path="/uploads/${s}" fwd=${s} status=200 ${s}`, uploads);
        parseLogfmtLine(envelopeOf(`Dec  7 02:00:00 ${s}`)?.message ?? s, uploads);
        return true;
      }),
      RUNS,
    );
  });

  it('split lines as decoding each line alone would, however the bytes are chunked', async () => {
    /** The definition: cut at every newline, measure, drop one CR, decode the line by itself. */
    const reference = (whole: Buffer): Line[] => {
      const out: Line[] = [];
      let start = 0;
      while (start < whole.length) {
        const nl = whole.indexOf(0x0a, start);
        const end = nl === -1 ? whole.length : nl;
        const number = out.length + 1;
        const cut = end > start && whole[end - 1] === 0x0d ? end - 1 : end;
        out.push(
          end - start > 64
            ? { number, tooLong: end - start }
            : { number, text: whole.toString('utf8', start, cut), bytes: cut - start },
        );
        start = end + 1;
      }
      return out;
    };
    const bytesOrText = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc
        .array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('\n', '\r\n', 'x'.repeat(70))), {
          maxLength: 30,
        })
        .map((parts) => new Uint8Array(Buffer.from(parts.join('')))),
    );
    await fc.assert(
      fc.asyncProperty(
        bytesOrText,
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }),
        async (bytes, cuts) => {
          const whole = Buffer.from(bytes);
          const chunks: Buffer[] = [];
          let at = 0;
          for (const cut of cuts) {
            chunks.push(whole.subarray(at, at + cut));
            at += cut;
          }
          chunks.push(whole.subarray(at));
          const source = (async function* () {
            yield* chunks.filter((c) => c.length > 0);
          })();
          const out: Line[] = [];
          for await (const line of splitLines(source, 64)) out.push(line);
          expect(out).toEqual(reference(whole));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
