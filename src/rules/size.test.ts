import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../policy/policy.js';
import { gif, jpeg, pngChunk } from '../test-support/bytes.js';
import { check, detected, facts } from '../test-support/rule-tester.js';
import { auditor } from '../test-support/scan.js';
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

describe('size/pixel-bomb, from headers read by inspect', () => {
  const audit = auditor();
  /** A PNG that declares `width` × `height` and holds almost nothing. */
  const pngDeclaring = (width: number, height: number): Buffer => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr.set([8, 0, 0, 0, 0], 8);
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', deflateSync(Buffer.alloc(64))),
      pngChunk('IEND', Buffer.alloc(0)),
    ]);
  };
  /** The test JPEG with its start-of-frame dimensions replaced. */
  const jpegDeclaring = (width: number, height: number): Buffer => {
    const bytes = Buffer.from(jpeg());
    const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
    bytes.writeUInt16BE(height, sof + 5);
    bytes.writeUInt16BE(width, sof + 7);
    return bytes;
  };
  const gifDeclaring = (width: number, height: number): Buffer => {
    const bytes = Buffer.from(gif());
    bytes.writeUInt16LE(width, 6);
    bytes.writeUInt16LE(height, 8);
    return bytes;
  };

  it('flags images that declare more pixels than thumbnailers survive, and no real photo', async () => {
    const report = await audit({
      'bomb.png': pngDeclaring(100_000, 100_000),
      'bomb.jpg': jpegDeclaring(65_000, 65_000),
      'bomb.gif': gifDeclaring(65_535, 65_535),
      // Look-alikes: a 48-megapixel photo, a panorama, a tiny icon.
      'photo.png': pngDeclaring(8000, 6000),
      'pano.jpg': jpegDeclaring(30_000, 4000),
      'icon.gif': gifDeclaring(16, 16),
    });
    const bombs = report.findings.filter((f) => f.ruleId === 'size/pixel-bomb');
    expect(bombs.map((f) => f.path).sort()).toEqual(['bomb.gif', 'bomb.jpg', 'bomb.png']);
    expect(bombs.find((f) => f.path === 'bomb.png')?.evidence).toMatchObject({
      width: 100_000,
      height: 100_000,
      megapixels: 10_000,
    });
  });
});
