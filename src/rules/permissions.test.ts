import { describe, expect, it } from 'vitest';
import type { EntryKind } from '../model/types.js';
import { check, facts } from '../test-support/rule-tester.js';
import { RULES } from './index.js';
import { renderMessage } from './messages.js';

const rules = RULES.filter((r) => r.category === 'permissions');
const fired = (kind: EntryKind, mode: number, nlink = 1): string[] =>
  rules
    .filter((rule) => rule.kinds.includes(kind) && check(rule, facts('x', { kind, mode, nlink })).length > 0)
    .map((rule) => rule.id.split('/')[1]!);

describe('permissions rules', () => {
  it.each([
    ['file', 0o100644, 1, []],
    ['file', 0o100600, 1, []],
    ['file', 0o100640, 1, []],
    ['directory', 0o040755, 2, []],
    ['directory', 0o042775, 2, []],
    ['file', 0o100755, 1, ['executable']],
    ['file', 0o100744, 1, ['executable']],
    ['file', 0o100666, 1, ['world-writable']],
    ['directory', 0o040777, 2, ['world-writable']],
    ['file', 0o104755, 1, ['setuid', 'executable']],
    ['file', 0o102644, 1, ['setuid']],
    ['file', 0o100644, 2, ['hard-link']],
    ['fifo', 0o010644, 1, ['special-file']],
    ['socket', 0o140755, 1, ['special-file']],
    ['char-device', 0o020666, 1, ['special-file']],
  ] as const)('%s %o with %i links → %j', (kind, mode, nlink, expected) => {
    expect(fired(kind, mode, nlink)).toEqual(expected);
  });
});

const render = (rule: (typeof rules)[number], draft: ReturnType<typeof check>[number]) =>
  renderMessage({ ruleId: rule.id, messageId: draft.messageId, evidence: draft.evidence });

describe('public grants (bucket objects)', () => {
  const grantRules = rules.filter((r) => r.needs === 'publicAccess');
  it.each([
    [{}, []],
    [{ read: 'the bucket policy' }, ['permissions/public-read: anyone may read it (the bucket policy)']],
    [
      { write: 'the bucket ACL' },
      ['permissions/public-write: anyone may overwrite or re-permission it (the bucket ACL)'],
    ],
  ] as const)('%j → %j', (publicAccess, expected) => {
    const found = grantRules.flatMap((rule) =>
      check(rule, facts('avatar.jpg', { publicAccess })).map((d) => `${rule.id}: ${render(rule, d)}`),
    );
    expect(found).toEqual(expected);
  });
});
