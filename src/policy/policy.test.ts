import { describe, expect, it } from 'vitest';
import { parsePolicyText, toPolicySet } from './load.js';
import { DEFAULT_POLICY, PolicyResolver, specificity } from './policy.js';

const MiB = 1024 * 1024;
const load = (yaml: string) => toPolicySet(parsePolicyText(`version: 1\n${yaml}`, 'p.yaml'), 'p.yaml');

describe('precedence: default < file < path override', () => {
  const set = load(`
limits: { sizes: { image: 8MiB } }
rules: { size/empty: info, mime-mismatch: high }
overrides:
  - paths: ['users/**']
    limits: { sizes: { image: 4MiB } }
    rules: { size/empty: off }
  - paths: ['users/*/avatars/**']
    mode: allowlist
    allow: { extensions: [jpg, png] }
    limits: { sizes: { image: 2MiB } }
  - paths: ['**/*.csv']
    limits: { extensions: { csv: 50MiB } }
`);
  const resolver = new PolicyResolver(set);

  it('keeps defaults the file does not mention', () => {
    const p = resolver.forPath('2024/a.jpg');
    expect(p.sizeLimits).toEqual({ ...DEFAULT_POLICY.sizeLimits, image: 8 * MiB });
    expect(p.severity).toEqual({ 'size/empty': 'info', 'mime-mismatch': 'high' });
    expect(p.mode).toBe('denylist');
  });

  it('applies every matching override, the most specific last', () => {
    const p = resolver.forPath('users/bob/avatars/me.jpg');
    expect(p.sizeLimits.image).toBe(2 * MiB);
    expect(p.severity['size/empty']).toBe('off');
    expect(p.mode).toBe('allowlist');
    expect(resolver.forPath('users/bob/cv.pdf').sizeLimits.image).toBe(4 * MiB);
    expect(resolver.forPath('users/bob/cv.pdf').mode).toBe('denylist');
  });

  it('merges maps key by key across overrides', () => {
    const p = resolver.forPath('users/bob/export.csv');
    expect(p.extensionSizeLimits).toEqual({ csv: 50 * MiB });
    expect(p.sizeLimits.image).toBe(4 * MiB);
  });

  it('ranks globs by their literal prefix', () => {
    expect(specificity('**/*.csv')).toBeLessThan(specificity('users/**'));
    expect(specificity('users/**')).toBeLessThan(specificity('users/*/avatars/**'.replace('*', 'x')));
    expect(specificity('exact/file.jpg')).toBeGreaterThan(specificity('exact/file.*'));
  });
});
