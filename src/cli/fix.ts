import type { Command } from 'commander';
import { Option } from 'commander';
import { type Counts, compareFindings } from '../baseline/compare.js';
import { CATEGORIES, type Category, type Report, SEVERITIES, type Severity } from '../model/types.js';
import { applyPlan, closeRun, completeRun, openRun, prepareQuarantine } from '../remediate/apply.js';
import { type Plan, planRemediation } from '../remediate/plan.js';
import { restoreRun } from '../remediate/restore.js';
import { comparisonLines, countRows } from '../reporters/comparison.js';
import { isCategory } from '../rules/index.js';
import { formatBytes } from '../rules/messages.js';
import { realRoot, runScan } from '../sources/directory/run.js';
import { InputError } from '../util/errors.js';
import { escapeUnsafe } from '../util/escape.js';
import { choosePolicy, collect } from './options.js';
import { chalkFor, colorLevel, writeStdout } from './output.js';

interface FixFlags {
  quarantine: string;
  minSeverity: Severity;
  category: string[];
  apply: boolean;
  policy?: string;
  policyDiscovery: boolean;
  color?: boolean;
}

function planLines(plan: Plan, counts: { before: Counts; after: Counts }): string[] {
  const out = [`Plan: ${plan.actions.length} action${plan.actions.length === 1 ? '' : 's'}`];
  for (const a of plan.actions) {
    const what =
      a.kind === 'quarantine' ? 'quarantine' : `chmod -${(a.clearBits ?? 0).toString(8).padStart(4, '0')}`;
    out.push(`  ${what.padEnd(12)} ${escapeUnsafe(a.path)}  (${a.findings.map((f) => f.ruleId).join(', ')})`);
  }
  out.push(
    '',
    'Findings now and after the plan:',
    ...countRows(counts.before, counts.after).map(
      ([name, b, a]) => `  ${name.padEnd(20)} ${String(b).padStart(5)} -> ${String(a).padStart(5)}`,
    ),
  );
  for (const group of plan.left) out.push(`  left: ${group.findings.length} ${group.reason}`);
  return out;
}

async function fixCommand(dir: string, flags: FixFlags): Promise<void> {
  const categories = flags.category.flatMap((c) => c.split(','));
  for (const c of categories)
    if (!isCategory(c)) throw new InputError(`--category '${c}': allowed ${CATEGORIES.join(', ')}`);
  const rootReal = realRoot(dir);
  // A dry run changes nothing, the quarantine folder included.
  const quarantine = prepareQuarantine(rootReal, flags.quarantine, flags.apply);
  const policy = choosePolicy(flags, rootReal);
  const color = chalkFor(
    colorLevel({ flag: flags.color, env: process.env, isTTY: process.stdout.isTTY === true, toFile: false }),
  );
  const scan = () => runScan({ root: dir, policy, failOn: 'none', allowUnevaluated: true, concurrency: 1 });
  const options = { minSeverity: flags.minSeverity, categories: categories as Category[] };
  // Recover an interrupted run first, so the plan is made from the tree as it really is.
  const run = flags.apply ? openRun(quarantine, rootReal, new Date()) : undefined;
  let before: Report;
  let plan: Plan;
  let out: string[];
  let result: ReturnType<typeof applyPlan>;
  try {
    before = await scan();
    plan = planRemediation(before, options);
    out = planLines(plan, plan);
    if (!run) {
      out.push('', color.bold('Dry run: nothing was changed. Add --apply to carry out this plan.'));
      await writeStdout(`${out.join('\n')}\n`);
      return;
    }
    result = applyPlan(plan, rootReal, run);
    completeRun(run, new Date());
  } finally {
    if (run) closeRun(run);
  }
  const after = await scan();
  const comparison = compareFindings(before, after.findings);
  // Lists of findings are concatenated, not spread into push(): that overflows at ~100,000.
  const report = out.concat(
    '',
    color.bold(
      `Applied in ${run.runDir}${run.resumed ? ` (resumed an interrupted run; ${run.recovered} open action(s) finished)` : ''}:`,
    ),
    `  ${result.moved} moved to quarantine (${formatBytes(result.bytes)}), ${result.chmodded} permission fixes, ${result.failed.length} failed`,
    result.failed.map((f) => `  failed: ${escapeUnsafe(f.path)}: ${escapeUnsafe(f.why)}`),
    '',
    comparisonLines(comparison, color, { before: 'before', after: 'after fix' }),
    '',
    `Undo with: upload-audit restore ${run.runDir}`,
  );
  await writeStdout(`${report.join('\n')}\n`);
  process.exitCode = result.failed.length > 0 ? 1 : 0;
}

async function restoreCommand(runDir: string, flags: { only?: string; force: boolean }): Promise<void> {
  const result = restoreRun(runDir, {
    force: flags.force,
    now: new Date(),
    ...(flags.only !== undefined && { only: flags.only }),
  });
  const out = [
    `${result.restored} restored, ${result.conflicts.length} conflict(s), ${result.failed.length} failed`,
  ];
  for (const c of result.conflicts) {
    out.push(
      c.movedAsideTo
        ? `  conflict: ${escapeUnsafe(c.path)}: the newer file was moved aside to ${escapeUnsafe(c.movedAsideTo)}`
        : `  conflict: ${escapeUnsafe(c.path)} exists now; not overwritten (use --force to move it aside)`,
    );
  }
  for (const f of result.failed) out.push(`  failed: ${escapeUnsafe(f.path)}: ${escapeUnsafe(f.why)}`);
  await writeStdout(`${out.join('\n')}\n`);
  process.exitCode = result.failed.length > 0 || result.conflicts.some((c) => !c.movedAsideTo) ? 1 : 0;
}

export function registerFixCommands(program: Command): void {
  program
    .command('fix')
    .description('Plan (dry run) and, with --apply, carry out a journaled, reversible remediation.')
    .argument('<dir>', 'the upload folder')
    .requiredOption('--quarantine <qdir>', 'where quarantined files go (outside DIR; created 0700)')
    .addOption(
      new Option('--min-severity <severity>', 'act on findings at or above this severity')
        .choices([...SEVERITIES])
        .default('high'),
    )
    .option('--category <name>', 'act only on these categories (repeatable or comma-separated)', collect, [])
    .option('--apply', 'carry out the plan (without it nothing changes)', false)
    .option('-p, --policy <file>', 'policy file (YAML or JSON)')
    .option('--no-policy-discovery', 'do not look for upload-audit.yaml / .upload-audit.yaml')
    .option('--color', 'force colored output')
    .option('--no-color', 'disable colored output')
    .addHelpText(
      'after',
      `
Examples:
  $ upload-audit fix uploads --quarantine /srv/quarantine                 # the plan only
  $ upload-audit fix uploads --quarantine /srv/quarantine --apply         # do it
  $ upload-audit restore /srv/quarantine/run-2026-11-24T03-50-00-000Z     # undo it`,
    )
    .action(fixCommand);

  program
    .command('restore')
    .description(
      'Put the files of a quarantine run back exactly (bytes, mode, owner, times), verifying hashes.',
    )
    .argument('<run>', 'a run folder inside the quarantine (QDIR/run-…)')
    .option('--only <path>', 'restore only this path (relative to the scanned root), or what is below it')
    .option('--force', 'when a file now exists at the original path, move it aside (never delete it)', false)
    .action(restoreCommand);
}
