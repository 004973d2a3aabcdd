import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../types.js';
import { CATEGORY_INFO, RULES } from './index.js';

describe('rule registry', () => {
  it('has unique ids of the form category/name', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) expect(rule.id.startsWith(`${rule.category}/`)).toBe(true);
  });

  it('documents every rule', () => {
    for (const rule of RULES) {
      expect(rule.description.length).toBeGreaterThan(20);
      expect(rule.rationale.length).toBeGreaterThan(40);
      expect(rule.fix.length).toBeGreaterThan(20);
      expect(Object.keys(rule.messages).length).toBeGreaterThan(0);
      expect(rule.kinds.length).toBeGreaterThan(0);
    }
  });

  it('describes every category', () => {
    expect(Object.keys(CATEGORY_INFO).sort()).toEqual([...CATEGORIES].sort());
  });
});

describe('README', () => {
  it('lists every rule with an example', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const missing = RULES.filter((rule) => !readme.includes(`| \`${rule.id}\` |`)).map((r) => r.id);
    expect(missing).toEqual([]);
  });
});
