import { describe, expect, it } from 'vitest';
import fc from '../test-support/fast-check.js';
import { formatBytes, renderMessage } from './messages.js';

describe('renderMessage', () => {
  it('fills templates from the evidence, formatting sizes', () => {
    const text = renderMessage({
      ruleId: 'size/over-limit',
      messageId: 'overLimit',
      evidence: { size: 5 * 1024 * 1024 + 4096, limit: 5 * 1024 * 1024, limitFor: 'other files' },
    });
    expect(text).toBe('5.0 MiB is over the 5 MiB limit for other files');
  });

  it('leaves unknown placeholders and unknown rules visible instead of guessing', () => {
    expect(renderMessage({ ruleId: 'size/empty', messageId: 'tooSmall', evidence: { size: 3 } })).toBe(
      '3 B is below the minimum of {minSize|bytes}',
    );
    expect(renderMessage({ ruleId: 'no/such-rule', messageId: 'code', evidence: {} })).toBe('code');
    // A report file could name any message id; a prototype member is not a template.
    expect(renderMessage({ ruleId: 'size/empty', messageId: 'constructor', evidence: {} })).toBe(
      'constructor',
    );
  });

  it('fills a template as one replace over it would (the definition), whatever it holds', () => {
    const definition = (template: string, evidence: Record<string, string | number>) =>
      template.replace(/\{(\w+)(?:\|(\w+))?\}/g, (whole, key: string, format?: string) => {
        if (!Object.hasOwn(evidence, key)) return whole;
        const value = evidence[key]!;
        return format === 'bytes' && typeof value === 'number' ? formatBytes(value) : String(value);
      });
    const key = fc.constantFrom('size', 'name', 'x', '__proto__', 'a_1');
    const piece = fc.oneof(
      fc.string({ maxLength: 5 }),
      key.map((k) => `{${k}}`),
      key.map((k) => `{${k}|bytes}`),
      key.map((k) => `{${k}|nope}`),
      fc.constantFrom('{', '}', '{}', '{|bytes}', '{size|}'),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 8 }).map((parts) => parts.join('')),
        fc.dictionary(key, fc.oneof(fc.string({ maxLength: 4 }), fc.nat())),
        (template, evidence) => {
          // An unknown rule makes the message id the template.
          expect(renderMessage({ ruleId: 'no/such-rule', messageId: template, evidence })).toBe(
            definition(template, evidence),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024 * 1024, '10 MiB'],
    [3 * 1024 ** 4, '3 TiB'],
  ])('%i → %s', (n, text) => expect(formatBytes(n)).toBe(text));
});
