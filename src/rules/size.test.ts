import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../policy/policy.js';
import { check, detected, facts } from '../test-support/rule-tester.js';
import sizeEmpty from './size-empty.js';
import sizeOverLimit from './size-over-limit.js';

const MiB = 1024 * 1024;

describe('size/over-limit', () => {
  it.each([
    ['photo.jpg', 10 * MiB, undefined],
    ['photo.jpg', 10 * MiB + 1, 'image'],
    ['report.pdf', 25 * MiB, undefined],
    ['report.pdf', 25 * MiB + 1, 'document'],
    ['bundle.zip', 26 * MiB, 'archive'],
    ['video.mp4', 5 * MiB, undefined],
    ['video.mp4', 5 * MiB + 1, 'other'],
    // Extensions that are Object.prototype keys get the class limit, not a prototype member.
    ['big.constructor', 5 * MiB + 1, 'other'],
    ['big.__proto__', 5 * MiB + 1, 'other'],
  ])('%s of %i bytes → %s', (name, size, typeClass) => {
    const drafts = check(sizeOverLimit, facts(name, { size }));
    expect(drafts.map((d) => d.evidence.limitFor)).toEqual(typeClass ? [`${typeClass} files`] : []);
  });

  it('falls back to the detected type when the extension says nothing', () => {
    const file = facts('upload', { size: 6 * MiB, detected: detected('png', 'image/png') });
    expect(check(sizeOverLimit, file)).toEqual([]);
    expect(check(sizeOverLimit, { ...file, size: 11 * MiB })[0]?.evidence).toMatchObject({
      limitFor: 'image files',
      limit: 10 * MiB,
    });
  });

  it('prefers a per-extension limit, then a per-MIME limit, to the type class', () => {
    const policy = {
      ...DEFAULT_POLICY,
      extensionSizeLimits: { csv: 50 * MiB },
      typeSizeLimits: { 'image/gif': 1 * MiB, 'image/*': 3 * MiB },
    };
    expect(check(sizeOverLimit, facts('big.csv', { size: 40 * MiB }), policy)).toEqual([]);
    const gif = facts('anim.gif', { size: 2 * MiB, detected: detected('gif', 'image/gif') });
    expect(check(sizeOverLimit, gif, policy)[0]?.evidence).toMatchObject({
      limit: 1 * MiB,
      limitFor: 'image/gif content',
    });
    const png = facts('a.png', { size: 4 * MiB, detected: detected('png', 'image/png') });
    expect(check(sizeOverLimit, png, policy)[0]?.evidence).toMatchObject({
      limit: 3 * MiB,
      limitFor: 'image/png content',
    });
  });
});

describe('size/empty', () => {
  it('flags 0-byte files only, by default', () => {
    expect(check(sizeEmpty, facts('a.jpg', { size: 0 }))[0]?.messageId).toBe('empty');
    expect(check(sizeEmpty, facts('a.jpg', { size: 1 }))).toEqual([]);
  });

  it('honors a minimum size', () => {
    const policy = { ...DEFAULT_POLICY, minSize: 64 };
    expect(check(sizeEmpty, facts('a.jpg', { size: 10 }), policy)[0]?.messageId).toBe('tooSmall');
    expect(check(sizeEmpty, facts('a.jpg', { size: 64 }), policy)).toEqual([]);
  });
});
