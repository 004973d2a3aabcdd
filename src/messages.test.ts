import { describe, expect, it } from 'vitest';
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
