import { describe, expect, it } from 'vitest';
import type { SymlinkFacts } from '../model/types.js';
import { check, facts } from '../test-support/rule-tester.js';
import { RULES } from './index.js';
import { symlinkEscapeRule } from './path-traversal.js';

const nameRules = RULES.filter(
  (r) =>
    r.category === 'path-traversal' && r !== symlinkEscapeRule && r.id !== 'path-traversal/stored-outside',
);
const fired = (name: string): string[] =>
  nameRules.filter((rule) => check(rule, facts(name)).length > 0).map((rule) => rule.id.split('/')[1]!);

describe('path-traversal name rules', () => {
  it.each([
    ['photo.jpg', []],
    ['photo..jpg', []],
    ['v1..2.txt', []],
    ['50%.png', []],
    ['a%20b.jpg', []],
    ['..%2f..%2fetc%2fpasswd', ['dot-dot']],
    ['..%252f..%252fetc', ['dot-dot']],
    ['%2e%2e%2fx', ['dot-dot']],
    ['%c0%ae%c0%ae%c0%afx', ['dot-dot']],
    ['..\\..\\boot.ini', ['dot-dot']],
    ['%2fetc%2fpasswd', ['absolute-name']],
    ['C:\\Windows\\win.ini', ['absolute-name', 'backslash']],
    ['\\\\host\\share', ['absolute-name']],
    ['a\\b.txt', ['backslash']],
  ])('%j → %j', (name, expected) => {
    expect(fired(name)).toEqual(expected);
  });

  it('applies to directories too', () => {
    expect(nameRules.every((r) => r.kinds.includes('directory'))).toBe(true);
  });
});

describe('path-traversal/symlink-escape', () => {
  const link = (over: Partial<SymlinkFacts>): SymlinkFacts => ({
    target: 'x',
    resolved: '/root/x',
    leavesRoot: false,
    dangling: false,
    loop: false,
    hops: 1,
    ...over,
  });

  it('flags links that leave the root, dangling or not', () => {
    const out = facts('pw', {
      kind: 'symlink',
      symlink: link({ target: '/etc/passwd', resolved: '/etc/passwd', leavesRoot: true }),
    });
    expect(check(symlinkEscapeRule, out)[0]?.evidence).toEqual({
      target: '/etc/passwd',
      resolved: '/etc/passwd',
      dangling: false,
    });
    const dangling = facts('d', { kind: 'symlink', symlink: link({ leavesRoot: true, dangling: true }) });
    expect(check(symlinkEscapeRule, dangling)).toHaveLength(1);
  });

  it('leaves links that stay inside alone', () => {
    expect(check(symlinkEscapeRule, facts('ok', { kind: 'symlink', symlink: link({}) }))).toEqual([]);
  });
});
