import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { EXIT_ERROR, exitCodeFor } from '../audit/exit-code.js';
import { runAudit } from '../audit/run.js';
import { atOrAbove } from '../audit/severity.js';
import { compareFindings, loadReport } from '../baseline/compare.js';
import { type Report, SEVERITIES, type Severity } from '../model/types.js';
import { FORMATS, renderPieces } from '../reporters/index.js';
import type { TrendPoint } from '../reporters/types.js';
import { formatBytes } from '../rules/messages.js';
import { LIST_LIMIT } from '../sources/directory/listing.js';
import { realRoot, runScan } from '../sources/directory/run.js';
import { DEFAULT_UPLOAD_PATH } from '../sources/log/combined.js';
import { LOG_FORMATS, type LogFormat } from '../sources/log/formats.js';
import { type Field, parseFieldMapping } from '../sources/log/jsonl.js';
import { isBucketUrl, parseBucketUrl } from '../sources/s3/location.js';
import { InputError, isExpectedError, UsageError } from '../util/errors.js';
import { escapeUnsafe } from '../util/escape.js';
import { parseShard } from '../util/shard.js';
import { VERSION } from '../util/version.js';
import {
  addBucketOptions,
  type BucketFlags,
  bucketClientOptions,
  choosePolicy,
  collect,
  entryCount,
  positiveInt,
} from './options.js';
import { chalkFor, colorLevel, stdoutErrorTold, writeFileAtomic, writeStdout } from './output.js';
import { parseOutputs } from './outputs.js';
import { progressLine } from './progress.js';

/** Options every auditing command shares: policy, report format and destination, exit policy. */
interface ReportFlags {
  format: string[];
  output?: string;
  failOn: Severity | 'none';
  allowUnevaluated: boolean;
  color?: boolean;
  quiet: boolean;
  policy?: string;
  policyDiscovery: boolean;
  showSuppressed: boolean;
  severity?: Severity;
}

interface OperationsFlags {
  verbose: boolean;
  quiet: boolean;
  concurrency: number;
  metrics?: string;
  notify: string[];
  notifyFormat: 'json' | 'slack';
}

interface ScanFlags extends ReportFlags, OperationsFlags, BucketFlags {
  include: string[];
  exclude: string[];
  concurrency: number;
  baseline?: string;
  history?: string;
  keep: number;
  shard?: string;
  listLimit: number;
  /** A path; false with --no-state. */
  state?: string | false;
  ignoreCtime: boolean;
  judge?: 'new' | 'all';
  objectAcls: boolean;
}

interface LogFlags extends ReportFlags, OperationsFlags, BucketFlags {
  logFormat: LogFormat | 'auto';
  field: string[];
  uploadPath: string;
  root?: string;
  concurrency: number;
}

const EXIT_HELP = `
Exit status: 0 no finding reaches --fail-on; 1 one does, or an entry could not be
evaluated (unless --allow-unevaluated); 2 usage, configuration or runtime error.`;

/** The policy options, on the commands that judge entries (scan, log). */
function addPolicyOptions(command: Command, discovery: string): Command {
  return command
    .option(
      '-p, --policy <file>',
      `policy file (YAML or JSON); default: $UPLOAD_AUDIT_POLICY, else ${discovery}, else the built-in policy`,
    )
    .option('--no-policy-discovery', 'do not look for upload-audit.yaml / .upload-audit.yaml');
}

/** What scan and log tell the operations loop after a run: metrics and webhooks. */
function addOperationsOptions(command: Command): Command {
  return command
    .option('-v, --verbose', 'say on stderr which policy judged, with how many threads, and how fast', false)
    .option(
      '--metrics <file>',
      "write Prometheus metrics for node_exporter's textfile collector to FILE (atomically)",
    )
    .option('--notify <url>', 'POST a JSON summary of the run to URL, with retries (repeatable)', collect, [])
    .addOption(
      new Option('--notify-format <format>', "the shape of --notify: upload-audit's JSON, or Slack's {text}")
        .choices(['json', 'slack'])
        .default('json'),
    );
}

/** After the report: metrics and notifications, which never change the exit status. */
async function tellOperations(report: Report, flags: OperationsFlags): Promise<void> {
  if (flags.verbose && !flags.quiet) {
    const s = report.summary;
    const seconds = report.durationMs / 1000;
    process.stderr.write(
      `upload-audit: policy ${escapeUnsafe(report.policy.source)} (${report.policy.digest.slice(0, 19)}); ${report.source === 'bucket' ? 'range requests' : `${flags.concurrency} thread(s)`}; ${s.evaluated} of ${s.entries} entries evaluated, ${formatBytes(s.bytes)}, in ${seconds.toFixed(2)} s (${Math.round(s.evaluated / Math.max(seconds, 0.001))} entries/s)\n`,
    );
  }
  if (flags.metrics === undefined && flags.notify.length === 0) return;
  const { notify, writeMetrics } = await import('./notify.js');
  if (flags.metrics !== undefined) writeMetrics(flags.metrics, report);
  if (flags.notify.length > 0) {
    const status = process.exitCode;
    await notify(flags.notify, report, flags.notifyFormat);
    process.exitCode = status;
  }
}

/** Options of every command that writes a report: formats, destinations, the gate, the view. */
function addReportOptions(command: Command): Command {
  return command
    .option(
      '-f, --format <format[=file]>',
      `report format: ${FORMATS.join(', ')}; NAME=FILE writes to FILE (repeatable)`,
      collect,
      [],
    )
    .option('-o, --output <file>', 'write the report (the --format without =FILE) to FILE instead of stdout')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding reaches this severity')
        .choices([...SEVERITIES, 'none'])
        .default('high'),
    )
    .option('--allow-unevaluated', 'do not fail because some entries could not be evaluated', false)
    .option('--show-suppressed', 'list suppressed findings in the table too', false)
    .addOption(
      new Option(
        '--severity <level>',
        'show only findings at or above LEVEL, in every format (the summary counts all; the exit status still follows --fail-on)',
      ).choices([...SEVERITIES]),
    )
    .option('--color', 'force colored output')
    .option('--no-color', 'disable colored output (NO_COLOR and FORCE_COLOR are honored too)')
    .option('-q, --quiet', 'print nothing on stderr but errors', false);
}

/** Render the report in every chosen format, to stdout or files, and set the exit status. */
async function emit(
  whole: Report,
  flags: ReportFlags,
  outputs = parseOutputs(flags.format, flags.output),
  trend?: TrendPoint[],
): Promise<void> {
  const report = flags.severity === undefined ? whole : atOrAbove(whole, flags.severity);
  for (const { format, file } of outputs) {
    const toFile = file !== undefined;
    const level = colorLevel({
      flag: flags.color,
      env: process.env,
      isTTY: process.stdout.isTTY === true,
      toFile,
    });
    // The terminal's width; piped into `less` or `head`, stderr is still the terminal and knows it.
    const terminal = process.stdout.isTTY
      ? process.stdout
      : process.stderr.isTTY
        ? process.stderr
        : undefined;
    const columns = toFile ? undefined : terminal?.columns;
    const text = renderPieces(format, report, {
      color: chalkFor(level),
      showSuppressed: flags.showSuppressed,
      ...(columns && { columns }),
      ...(trend && { trend }),
    });
    if (file === undefined) {
      await writeStdout(text);
      continue;
    }
    writeFileAtomic(file, text);
    if (!flags.quiet) {
      const s = report.summary;
      process.stderr.write(
        `upload-audit: ${s.failed ? 'FAIL' : 'PASS'}: ${s.findings} findings, ${s.notEvaluated} not evaluated; ${format} report written to ${escapeUnsafe(file)}\n`,
      );
    }
  }
  process.exitCode = report.summary.failed ? 1 : 0;
}

/** A progress line on stderr for a terminal user; none in CI, with --quiet, or when stderr is redirected. */
const progressFor = (flags: ReportFlags) => progressLine(process.stderr, !flags.quiet && !process.env.CI);

async function scanCommand(dir: string, flags: ScanFlags): Promise<void> {
  if (flags.baseline !== undefined && flags.history !== undefined)
    throw new UsageError('use --baseline or --history, not both');
  const outputs = parseOutputs(flags.format, flags.output);
  const bucket = isBucketUrl(dir);
  if (bucket && flags.ignoreCtime)
    throw new UsageError('--ignore-ctime is for folders: a bucket rescan compares ETags');
  const policy = choosePolicy(flags, bucket ? undefined : realRoot(dir));
  // The history's module loads for runs that keep one (as do the others below, for their commands).
  const history = flags.history === undefined ? undefined : await import('../baseline/history.js');
  const previous = history === undefined ? flags.baseline : history.latestInHistory(flags.history!);
  const baseline = previous === undefined ? undefined : loadReport(previous);
  const progress = progressFor(flags);
  const shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
  const { state: _, ...scanFlags } = flags;
  // A baseline accepts today's debt (new only); a history reports the change but judges all.
  const judge = flags.judge ?? (flags.history !== undefined ? 'all' : 'new');
  const run = {
    ...scanFlags,
    policy,
    baseline,
    shard,
    judge,
    ...(progress && { onProgress: progress.update }),
  };
  let report: Report;
  const stateFile = stateFileFor(flags, shard);
  if (bucket) {
    // The AWS SDK loads only for a bucket: ~100 ms that scans of folders never pay.
    const { BucketSource } = await import('../sources/s3/run.js');
    const source = new BucketSource({
      ...run,
      url: dir,
      ...(stateFile !== undefined && { state: stateFile }),
      client: bucketClientOptions(flags),
      objectAcls: flags.objectAcls,
    });
    report = await runAudit(source, run);
    if (!flags.quiet) {
      process.stderr.write(
        `upload-audit: ${source.fetched.requests} range requests fetched ${source.fetched.bytes} bytes of the ${source.storedBytes} stored\n`,
      );
      if (source.exposureNotes.length > 0)
        process.stderr.write(
          `upload-audit: public access not fully checked: ${source.exposureNotes.join('; ')}\n`,
        );
    }
  } else {
    report = await runScan({
      ...run,
      root: dir,
      ...(stateFile !== undefined && { state: { file: stateFile, ignoreCtime: flags.ignoreCtime } }),
    });
  }
  progress?.done();
  const incremental = report.incremental;
  if (incremental && !flags.quiet) {
    const counts = `${incremental.reused} files unchanged and not opened, ${incremental.reread} read`;
    process.stderr.write(
      incremental.mode === 'incremental'
        ? `upload-audit: incremental rescan: ${counts}\n`
        : `upload-audit: state '${escapeUnsafe(incremental.state)}' not used (${escapeUnsafe(incremental.why ?? '')}): every file read; the next run can use the new one\n`,
    );
  }
  if (flags.history !== undefined) {
    const written = history!.recordHistory(flags.history, report, flags.keep);
    if (!flags.quiet)
      process.stderr.write(
        `upload-audit: report recorded as ${escapeUnsafe(written)}${previous ? `, compared with ${escapeUnsafe(previous)}` : ' (first run: nothing to compare with)'}\n`,
      );
  }
  // The trend reads every kept report: only for the one format that draws it.
  const drawsTrend = flags.history !== undefined && outputs.some((o) => o.format === 'html');
  await emit(report, flags, outputs, drawsTrend ? history!.historyTrend(flags.history!) : undefined);
  await tellOperations(report, flags);
}

/** --state, or with --history the state kept in that folder (one per shard); none with --no-state. */
function stateFileFor(
  flags: ScanFlags,
  shard: { index: number; count: number } | undefined,
): string | undefined {
  if (flags.state === false) return undefined;
  if (flags.state !== undefined) return flags.state;
  if (flags.ignoreCtime) throw new UsageError('--ignore-ctime needs --state or --history');
  if (flags.history === undefined) return undefined;
  mkdirSync(flags.history, { recursive: true, mode: 0o750 });
  return join(flags.history, shard ? `scan-state-${shard.index}-of-${shard.count}` : 'scan-state');
}

async function mergeCommand(files: string[], flags: ReportFlags): Promise<void> {
  await emit(
    (await import('../baseline/merge.js')).mergeReports(files.map(loadReport), {
      failOn: flags.failOn,
      allowUnevaluated: flags.allowUnevaluated,
    }),
    flags,
  );
}

async function convertCommand(file: string, flags: ReportFlags): Promise<void> {
  await emit(loadReport(file), flags);
}

async function compareCommand(oldFile: string, newFile: string, flags: ReportFlags): Promise<void> {
  const before = loadReport(oldFile);
  const after = loadReport(newFile);
  const comparison = compareFindings(before, after.findings);
  const failed =
    exitCodeFor({
      findings: comparison.new.filter((f) => !f.suppressed),
      notEvaluated: 0,
      failOn: flags.failOn,
      allowUnevaluated: true,
    }) !== 0;
  await emit({ ...after, comparison, summary: { ...after.summary, failOn: flags.failOn, failed } }, flags);
}

async function logCommand(files: string[], flags: LogFlags): Promise<void> {
  let uploadPath: RegExp;
  try {
    uploadPath = new RegExp(flags.uploadPath, 'i');
  } catch (error) {
    throw new InputError(
      `--upload-path '${flags.uploadPath}': not a regular expression (${(error as Error).message})`,
    );
  }
  const fields: Partial<Record<Field, string>> = Object.fromEntries(flags.field.map(parseFieldMapping));
  const bucketRoot = flags.root !== undefined && isBucketUrl(flags.root);
  if (bucketRoot) parseBucketUrl(flags.root!, 'read stored objects in');
  const rootReal = flags.root === undefined || bucketRoot ? undefined : realRoot(flags.root);
  const { LogSource } = await import('../sources/log/run.js');
  const source = new LogSource({
    files,
    fields,
    uploadPath,
    failOn: flags.failOn,
    allowUnevaluated: flags.allowUnevaluated,
    ...(flags.logFormat !== 'auto' && { format: flags.logFormat }),
    ...(rootReal !== undefined && { root: rootReal }),
    ...(bucketRoot && { root: flags.root!, client: bucketClientOptions(flags) }),
  });
  const report = await runAudit(source, {
    policy: choosePolicy(flags, rootReal),
    failOn: flags.failOn,
    allowUnevaluated: flags.allowUnevaluated,
    concurrency: flags.concurrency,
  });
  if (bucketRoot && !flags.quiet)
    process.stderr.write(
      `upload-audit: ${source.fetched.requests} range requests fetched ${source.fetched.bytes} bytes of stored objects\n`,
    );
  await emit(report, flags);
  await tellOperations(report, flags);
}

/**
 * An option's help line: its description, its choices, and its default where one says something
 * (not `[]` or `false`; the number of cores as words, not as this machine's count).
 */
function describeOption(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices) extra.push(`choices: ${option.argChoices.join(', ')}`);
  const value: unknown = option.defaultValue;
  const said =
    option.long === '--concurrency'
      ? 'the number of cores'
      : (option.defaultValueDescription ??
        (value === undefined ||
        value === false ||
        (Array.isArray(value) && value.length === 0) ||
        option.negate
          ? undefined
          : String(value)));
  if (said !== undefined) extra.push(`default: ${said}`);
  return extra.length > 0 ? `${option.description} (${extra.join('; ')})` : option.description;
}

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('upload-audit')
    .description(
      'Audit an upload folder or upload log against a policy: every file classified, nothing changed.',
    )
    .version(VERSION, '-V, --version')
    // A usage error is one line like every other error: the tool's prefix, what is wrong, where help is.
    .configureOutput({
      outputError: (message, write) =>
        write(
          `upload-audit: ${message
            .trim()
            .replace(/^error: /, '')
            .replace(/\s*\n\s*/g, ' ')} (run with --help for usage)\n`,
        ),
    })
    .exitOverride()
    .configureHelp({ optionDescription: describeOption });

  const scan = program
    .command('scan')
    .description('Walk DIR (never following symlinks, dotfiles included), inspect every entry and report.')
    .argument('<dir>', 'the upload folder to audit, or s3://BUCKET[/PREFIX]')
    .option(
      '--include <glob>',
      'only evaluate files matching GLOB, .gitignore style: without a slash it matches a name at any depth (repeatable)',
      collect,
      [],
    )
    .option(
      '--exclude <glob>',
      'skip entries matching GLOB, .gitignore style (`.htaccess` at any depth, `/tmp` at the root, `cache/**`); a matching folder is not entered (repeatable)',
      collect,
      [],
    )
    .option('-j, --concurrency <n>', 'worker threads that read files', positiveInt, availableParallelism())
    .option(
      '--baseline <report.json>',
      'compare with an earlier JSON report; --fail-on then judges new findings only (see --judge)',
    )
    .option(
      '--history <dir>',
      'cron: record a timestamped JSON report in DIR and compare with the newest earlier one; --fail-on still judges every finding (see --judge)',
    )
    .option('--keep <n>', 'with --history: how many reports to keep', positiveInt, 30)
    .addOption(
      new Option(
        '--judge <which>',
        'with --baseline or --history, what --fail-on judges: the new findings only, or all (default: new with --baseline, all with --history)',
      ).choices(['new', 'all']),
    )
    .option(
      '--shard <k/n>',
      'audit only shard K of N (a stable hash partition); combine the N reports with merge',
    )
    .option(
      '--state <file>',
      "incremental rescans: keep each file's verdict in FILE; the next run opens only files whose inode, size, mtime, ctime, mode or owner changed (default with --history: DIR/scan-state)",
    )
    .option('--no-state', 'with --history: read every file, keep no state')
    .option(
      '--ignore-ctime',
      'with --state: do not compare ctime (for network and FUSE mounts that report it unreliably)',
      false,
    );
  addBucketOptions(scan)
    .option(
      '--object-acls',
      "s3:// roots: also read each object's ACL for public grants (one request per object)",
      false,
    )
    .option(
      '--list-limit <n>',
      'a folder of more entries is scanned as it is read, in the order the filesystem gives, instead of listed and sorted first (bounds memory)',
      entryCount,
      LIST_LIMIT,
    );
  addOperationsOptions(addReportOptions(addPolicyOptions(scan, 'upload-audit.yaml found above DIR or here')))
    .addHelpText(
      'after',
      `
Examples:
  $ upload-audit scan /var/www/uploads
  $ upload-audit scan uploads --format json --output report.json
  $ upload-audit scan uploads --exclude 'cache/**' --fail-on critical
  $ upload-audit scan uploads --format jsonl | jq 'select(.type == "finding")'
${EXIT_HELP}`,
    )
    .action(scanCommand);

  const log = program
    .command('log')
    .description(
      'Audit the uploads recorded in logs (JSON Lines or combined access logs; .gz read as a stream; - is stdin).',
    )
    .argument('<files...>', 'log files')
    .addOption(
      new Option('--log-format <format>', 'log format').choices(['auto', ...LOG_FORMATS]).default('auto'),
    )
    .option(
      '--field <name=key>',
      'JSON Lines: read field NAME from KEY (dotted keys allowed; repeatable)',
      collect,
      [],
    )
    .option('--upload-path <regex>', 'combined logs: which request paths are uploads', DEFAULT_UPLOAD_PATH)
    .option(
      '--root <dir>',
      'where stored files live (a folder, or s3://BUCKET[/PREFIX]): check extension, declared type and stored content agree',
    )
    .option(
      '-j, --concurrency <n>',
      'worker threads for large plain log files, each reading a part',
      positiveInt,
      availableParallelism(),
    );
  addBucketOptions(log);
  addOperationsOptions(
    addReportOptions(addPolicyOptions(log, 'upload-audit.yaml found above --root or here')),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ upload-audit log uploads.jsonl
  $ upload-audit log /var/log/nginx/access.log.1.gz --upload-path '^/api/files'
  $ upload-audit log uploads.jsonl --root /var/www/uploads --field filename=meta.clientName
  $ journalctl -o cat -u uploader | upload-audit log -
${EXIT_HELP}`,
    )
    .action(logCommand);

  const compare = program
    .command('compare')
    .description('Compare two JSON reports: counts before and after, then new, fixed and moved findings.')
    .argument('<old>', 'the earlier report (--format json)')
    .argument('<new>', 'the later report');
  addReportOptions(compare).action(compareCommand);

  const merge = program
    .command('merge')
    .description(
      'Combine the JSON reports of scan --shard 1/N … N/N into one report, as if from a single run.',
    )
    .argument('<parts...>', 'shard reports (--format json)');
  addReportOptions(merge).action(mergeCommand);

  const convert = program
    .command('convert')
    .description('Render a saved JSON report in other formats (table, sarif, junit, markdown, html …).')
    .argument('<report>', 'a report written with --format json');
  addReportOptions(convert)
    .addHelpText(
      'after',
      `\nExample:\n  $ upload-audit convert report.json --format sarif=report.sarif --format junit=report.xml --format html=report.html`,
    )
    .action(convertCommand);

  const named = commandWord(argv);
  const wanted = named !== undefined && Object.hasOwn(ELSEWHERE, named) ? [ELSEWHERE[named]!] : [];
  // Help, a mistyped or no command, and completion (it writes every command's options): every
  // command must be there to be listed.
  const all =
    named === undefined ||
    named === 'completion' ||
    (wanted.length === 0 && !program.commands.some((c) => c.name() === named));
  for (const load of all ? [...new Set(Object.values(ELSEWHERE))] : wanted) (await load())(program);
  return program;
}

/**
 * The commands defined in modules of their own, loaded only when named: each module (and what it
 * imports: the remediation, the check server, the watcher) would cost every run that does not
 * use it start-up time, before a scan reads its first file.
 */
const ELSEWHERE: Record<string, () => Promise<(program: Command) => void>> = (() => {
  const fix = async () => (await import('./fix.js')).registerFixCommands;
  const policy = async () => (await import('./policy.js')).registerPolicyCommands;
  const rules = async () => (await import('./rules.js')).registerRuleCommands;
  return {
    fix,
    restore: fix,
    policy,
    rules,
    explain: rules,
    serve: async () => (await import('./serve.js')).registerServeCommand,
    watch: async () => (await import('./watch.js')).registerWatchCommand,
    completion: async () => (await import('./completion.js')).registerCompletionCommand,
  };
})();

/** The command a command line names: its first word that is not an option; undefined for none. */
function commandWord(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((arg) => !arg.startsWith('-'));
}

/** Each line of the message (a policy error may name several problems) on its own prefixed line. */
function fail(message: string): void {
  // Every line is escaped: an error may quote a hostile path or policy key (bidi, escapes).
  process.stderr.write(
    message
      .split('\n')
      .map((line) => `upload-audit: ${escapeUnsafe(line)}\n`)
      .join(''),
  );
  process.exitCode = EXIT_ERROR;
}

let watchingStdout = false;

/** Entry point: every error becomes one line on stderr and exit status 2. */
export async function main(argv: string[]): Promise<void> {
  // Once per process: tests call main() many times in one process.
  if (!watchingStdout) {
    watchingStdout = true;
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (!stdoutErrorTold(error)) fail(`cannot write output: ${error.message}`);
    });
  }
  try {
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every usage error is 2, never commander's default 1.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_ERROR;
    } else if (isExpectedError(error)) {
      fail(error.message);
    } else {
      fail(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      if (process.env.UPLOAD_AUDIT_DEBUG) console.error(error);
    }
  }
}
