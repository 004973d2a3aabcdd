import { describe, expect, it } from 'vitest';
import { type ActiveKind, CATEGORIES, type InspectedFile } from '../model/types.js';
import { check, detected, facts } from '../test-support/rule-tester.js';
import { CATEGORY_INFO, RULES } from './index.js';

const ACTIVE_KINDS: ActiveKind[] = [
  'html',
  'svg-script',
  'svg-handler',
  'svg-javascript-url',
  'svg-foreign-object',
  'svg-external-ref',
  'xxe',
  'server-code',
  'pdf-javascript',
  'pdf-launch',
  'pdf-embedded-file',
  'pdf-open-action',
  'pdf-rich-media',
  'macro',
  'csv-formula',
  'xslt',
  'office-external',
  'office-dde',
  'appended-archive',
  'entity-expansion',
  'rtf-object',
  'eicar',
  'image-script',
];

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

describe('rules that need a fact', () => {
  // A record carrying every optional fact, each hostile enough to make its rules fire.
  const elfType = detected('elf', 'application/x-elf');
  const full = (): InspectedFile =>
    facts('photos.zip', {
      size: 10,
      mode: 0o106777,
      nlink: 3,
      detected: detected('zip', 'application/zip'),
      archive: {
        format: 'zip',
        entries: [
          { path: '../x.php', kind: 'file', declaredSize: 5e9, compressedSize: 1, actualSize: 6e9, depth: 1 },
          { path: 'cat.jpg', kind: 'file', declaredSize: 10, depth: 1, detected: elfType },
          { path: 'link', kind: 'symlink', declaredSize: 0, linkTarget: '/etc/passwd', depth: 1 },
          {
            path: 'inner.zip',
            kind: 'file',
            declaredSize: 10,
            depth: 1,
            detected: detected('zip', 'application/zip'),
          },
        ],
        declaredTotal: 5e9,
        overlapping: true,
        error: 'truncated',
        tooDeep: ['a.zip!b.zip'],
      },
      active: ACTIVE_KINDS.map((kind) => ({ kind, where: 'head', sample: 'x' })),
      incomplete: [{ limit: 'maxPdfBytes', detail: 'x' }],
      publicAccess: { read: 'the bucket policy', write: 'its ACL' },
    });

  it.each(RULES.filter((r) => r.needs !== undefined).map((r) => [r.id, r] as const))(
    '%s finds something with its fact and nothing without it',
    (_id, rule) => {
      const withFact = full();
      // incompleteRule leaves archives to archive/unreadable: give it a plain file.
      if (rule.needs !== 'archive') delete withFact.archive;
      expect(check(rule, withFact).length).toBeGreaterThan(0);
      const without = full();
      delete without[rule.needs!];
      expect(check(rule, without)).toEqual([]);
    },
  );
});
