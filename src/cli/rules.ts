import type { Command } from 'commander';
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
      throw new InputError(`unknown rule or category '${id}'; run 'upload-audit rules' for the list`);
    });
}
