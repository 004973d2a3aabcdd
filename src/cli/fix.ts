import type { Command } from 'commander';
import { Option } from 'commander';
import { runAudit } from '../audit/run.js';
import { type Counts, compareFindings } from '../baseline/compare.js';
import { CATEGORIES, type Category, type Report, SEVERITIES, type Severity } from '../model/types.js';
import {
  type ApplyResult,
  applyPlan,
  closeRun,
  completeRun,
  openRun,
  prepareQuarantine,
  type RunHandle,
} from '../remediate/apply.js';
import { type Plan, planRemediation } from '../remediate/plan.js';
import { type RestoreResult, restoreRun } from '../remediate/restore.js';
import { comparisonLines, countRows } from '../reporters/comparison.js';
import { isCategory } from '../rules/index.js';
import { formatBytes } from '../rules/messages.js';
import { realRoot, runScan } from '../sources/directory/run.js';
import { bucketUrl, isBucketUrl, overlaps, parseBucketUrl } from '../sources/s3/location.js';
import type { BucketRun } from '../sources/s3/remediate.js';
import type { FlaggedObject } from '../sources/s3/run.js';
import { InputError, UsageError } from '../util/errors.js';
import { escapeUnsafe } from '../util/escape.js';
import { addBucketOptions, type BucketFlags, bucketClientOptions, choosePolicy, collect } from './options.js';
import { chalkFor, colorLevel, writeStdout } from './output.js';

interface FixFlags extends BucketFlags {
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

/** What `fix` works on: a folder and a quarantine folder, or a bucket and a quarantine bucket. */
interface FixTarget {
  /** A fresh audit of the root, as it is now. */
  scan(): Promise<Report>;
  /** Take the quarantine and recover an interrupted run for this root, or begin a new one. */
  open(): Promise<{ runDir: string; resumed: boolean; recovered: number }>;
  apply(plan: Plan): Promise<ApplyResult>;
  /** Mark the run complete, write its manifest and release the quarantine. */
  complete(): Promise<void>;
  /** Release the quarantine after a failure; safe after complete. */
  close(): Promise<void>;
}

function folderTarget(dir: string, flags: FixFlags): FixTarget {
  const rootReal = realRoot(dir);
  // A dry run changes nothing, the quarantine folder included.
  const quarantine = prepareQuarantine(rootReal, flags.quarantine, flags.apply);
  const policy = choosePolicy(flags, rootReal);
  let run: RunHandle | undefined;
  return {
    scan: () => runScan({ root: dir, policy, failOn: 'none', allowUnevaluated: true, concurrency: 1 }),
    open: async () => {
      run = openRun(quarantine, rootReal, new Date());
      return run;
    },
    apply: async (plan) => applyPlan(plan, rootReal, run!),
    complete: async () => completeRun(run!, new Date()),
    close: async () => {
      if (run) closeRun(run);
    },
  };
}

async function bucketTarget(url: string, flags: FixFlags): Promise<FixTarget> {
  if (!isBucketUrl(flags.quarantine))
    throw new UsageError(`a bucket's quarantine is a bucket or prefix: --quarantine s3://BUCKET[/PREFIX]`);
  // The AWS SDK loads only for a bucket.
  const [{ BucketSource }, s3, { bucketClient }] = await Promise.all([
    import('../sources/s3/run.js'),
    import('../sources/s3/remediate.js'),
    import('../sources/s3/client.js'),
  ]);
  const source = parseBucketUrl(url);
  if (overlaps(source, parseBucketUrl(flags.quarantine, 'use as quarantine')))
    throw new InputError(
      `quarantine '${flags.quarantine}' and '${url}' overlap; the quarantine must be outside what is scanned`,
    );
  const policy = choosePolicy(flags, undefined);
  const client = bucketClient(bucketClientOptions(flags));
  let flagged = new Map<string, FlaggedObject>();
  let run: BucketRun | undefined;
  return {
    scan: async () => {
      const scanned = new BucketSource({ url, client: bucketClientOptions(flags) });
      const report = await runAudit(scanned, { policy, failOn: 'none', allowUnevaluated: true });
      flagged = scanned.flagged;
      return report;
    },
    open: async () => {
      run = await s3.openBucketRun(
        client,
        flags.quarantine,
        bucketUrl(source.bucket, source.prefix),
        new Date(),
      );
      return run;
    },
    apply: (plan) => s3.applyBucketPlan(plan, flagged, run!),
    complete: () => s3.completeBucketRun(run!, new Date()),
    close: async () => {
      if (run) await s3.closeBucketRun(run);
      client.destroy();
    },
  };
}

async function fixCommand(root: string, flags: FixFlags): Promise<void> {
  const categories = flags.category.flatMap((c) => c.split(','));
  for (const c of categories)
    if (!isCategory(c)) throw new InputError(`--category '${c}': allowed ${CATEGORIES.join(', ')}`);
  const target = isBucketUrl(root) ? await bucketTarget(root, flags) : folderTarget(root, flags);
  const color = chalkFor(
    colorLevel({ flag: flags.color, env: process.env, isTTY: process.stdout.isTTY === true, toFile: false }),
  );
  const options = { minSeverity: flags.minSeverity, categories: categories as Category[] };
  let before: Report;
  let plan: Plan;
  let out: string[];
  let result: ApplyResult;
  let run: Awaited<ReturnType<FixTarget['open']>>;
  try {
    // Recover an interrupted run first, so the plan is made from the tree as it really is.
    if (flags.apply) run = await target.open();
    before = await target.scan();
    plan = planRemediation(before, options);
    out = planLines(plan, plan);
    if (!flags.apply) {
      out.push('', color.bold('Dry run: nothing was changed. Add --apply to carry out this plan.'));
      await writeStdout(`${out.join('\n')}\n`);
      return;
    }
    result = await target.apply(plan);
    await target.complete();
  } finally {
    await target.close();
  }
  const after = await target.scan();
  const comparison = compareFindings(before, after.findings);
  // Lists of findings are concatenated, not spread into push(): that overflows at ~100,000.
  const report = out.concat(
    '',
    color.bold(
      `Applied in ${run!.runDir}${run!.resumed ? ` (resumed an interrupted run; ${run!.recovered} open action(s) finished)` : ''}:`,
    ),
    `  ${result.moved} moved to quarantine (${formatBytes(result.bytes)}), ${result.chmodded} permission fixes, ${result.failed.length} failed`,
    result.failed.map((f) => `  failed: ${escapeUnsafe(f.path)}: ${escapeUnsafe(f.why)}`),
    '',
    comparisonLines(comparison, color, { before: 'before', after: 'after fix' }),
    '',
    `Undo with: upload-audit restore ${run!.runDir}${isBucketUrl(root) ? bucketArgs(flags) : ''}`,
  );
  await writeStdout(`${report.join('\n')}\n`);
  process.exitCode = result.failed.length > 0 ? 1 : 0;
}

/** The bucket options a later command needs to reach the same store. */
const bucketArgs = (flags: BucketFlags): string =>
  `${flags.endpointUrl !== undefined ? ` --endpoint-url ${flags.endpointUrl}` : ''}${flags.pathStyle ? ' --path-style' : ''}`;

async function restoreBucket(runUrl: string, flags: RestoreFlags): Promise<RestoreResult> {
  const [{ bucketClient }, { restoreBucketRun }] = await Promise.all([
    import('../sources/s3/client.js'),
    import('../sources/s3/remediate.js'),
  ]);
  const client = bucketClient(bucketClientOptions(flags));
  try {
    return await restoreBucketRun(client, runUrl, restoreOptions(flags));
  } finally {
    client.destroy();
  }
}

interface RestoreFlags extends BucketFlags {
  only?: string;
  force: boolean;
}

const restoreOptions = (flags: RestoreFlags) => ({
  force: flags.force,
  now: new Date(),
  ...(flags.only !== undefined && { only: flags.only }),
});

async function restoreCommand(runDir: string, flags: RestoreFlags): Promise<void> {
  const result = isBucketUrl(runDir)
    ? await restoreBucket(runDir, flags)
    : restoreRun(runDir, restoreOptions(flags));
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
  const fix = program
    .command('fix')
    .description('Plan (dry run) and, with --apply, carry out a journaled, reversible remediation.')
    .argument('<dir>', 'the upload folder, or s3://BUCKET[/PREFIX]')
    .requiredOption(
      '--quarantine <qdir>',
      'where quarantined files go (outside DIR; created 0700); for a bucket, s3://QBUCKET[/QPREFIX]',
    )
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
  $ upload-audit restore /srv/quarantine/run-2026-11-24T03-50-00-000Z     # undo it
  $ upload-audit fix s3://uploads --quarantine s3://uploads-quarantine --apply`,
    );
  addBucketOptions(fix).action(fixCommand);

  const restore = program
    .command('restore')
    .description(
      'Put the files of a quarantine run back exactly (bytes, mode, owner, times), verifying hashes.',
    )
    .argument('<run>', 'a run folder inside the quarantine (QDIR/run-…, or s3://QBUCKET[/QPREFIX]/run-…/)')
    .option('--only <path>', 'restore only this path (relative to the scanned root), or what is below it')
    .option('--force', 'when a file now exists at the original path, move it aside (never delete it)', false);
  addBucketOptions(restore).action(restoreCommand);
}
