import type { Command } from 'commander';
import { CATEGORIES } from '../model/types.js';
import type { Rule } from '../rules/define.js';
import { CATEGORY_INFO, isCategory, RULES, ruleById } from '../rules/index.js';
import { InputError } from '../util/errors.js';
import { writeStdout } from './output.js';

function explainRule(rule: Rule): string {
  return [
    `${rule.id}  (category ${rule.category}, default severity ${rule.defaultSeverity})`,
    '',
    `What it checks: ${rule.description}`,
    `Why it matters: ${rule.rationale}`,
    `How to fix:     ${rule.fix}`,
    '',
    'To change its weight or accept a known finding, in the policy file:',
    `  rules: { '${rule.id}': low }          # or off`,
    `  suppressions: [{ rule: ${rule.id}, paths: ['some/folder/**'], reason: '…', expires: 2026-12-31 }]`,
    '',
  ].join('\n');
}

/** Edits (insert, delete, replace one character) between two texts. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * The id the user most likely meant: the nearest by edits (within a quarter of its length), or
 * the only one whose last part is what was typed (`double-extension`).
 */
function closest(typed: string, ids: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  const tails = ids.filter((id) => id.split('/').at(-1) === lower);
  if (tails.length === 1) return tails[0];
  let best: { id: string; distance: number } | undefined;
  for (const id of ids) {
    for (const form of [id, id.split('/').at(-1)!]) {
      // A slip of a key or two, relative to what it is compared with: `nope` is nobody's typo.
      const distance = editDistance(lower, form);
      if (distance <= Math.max(1, Math.floor(form.length / 4)) && (!best || distance < best.distance))
        best = { id, distance };
    }
  }
  return best?.id;
}

/** `rules` and `explain RULE_ID|CATEGORY`. */
export function registerRuleCommands(program: Command): void {
  program
    .command('rules')
    .description('List every rule with its category and default severity.')
    .action(async () => {
      const width = Math.max(...RULES.map((r) => r.id.length));
      const lines = RULES.map(
        (r) => `${r.id.padEnd(width)}  ${r.defaultSeverity.padEnd(8)}  ${r.description}`,
      );
      await writeStdout(`${lines.join('\n')}\n`);
    });

  program
    .command('explain')
    .description('Explain a rule or a category: what it checks, why it matters, how to fix or suppress it.')
    .argument('<id>', 'a rule id (dangerous-extension/double-extension) or a category (path-traversal)')
    .action(async (id: string) => {
      const rule = ruleById(id);
      if (rule) return writeStdout(explainRule(rule));
      if (isCategory(id)) {
        const rules = RULES.filter((r) => r.category === id);
        const head = `${id}: ${CATEGORY_INFO[id]}\n\n`;
        return writeStdout(
          rules.length > 0
            ? head + rules.map(explainRule).join('\n')
            : `${head}No rules in this category yet.\n`,
        );
      }
      const near = closest(id, [...RULES.map((r) => r.id), ...CATEGORIES]);
      const hint = near === undefined ? '' : `; did you mean '${near}'?`;
      throw new InputError(`unknown rule or category '${id}'${hint} (run 'upload-audit rules' for the list)`);
    });
}
