import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { registerPolicyCommands } from './commands/policy.js';
import { registerRuleCommands } from './commands/rules.js';
import { isExpectedError } from './errors.js';
import { EXIT_ERROR } from './exit-code.js';
import { chalkFor, colorLevel, writeFileAtomic, writeStdout } from './output.js';
import { discoverPolicy, loadPolicyFile } from './policy/load.js';
import { defaultPolicySet, type PolicySet } from './policy/policy.js';
import { FORMATS, type Format, REPORTERS } from './reporters/index.js';
import { realRoot, runScan } from './run.js';
import { SEVERITIES, type Severity } from './types.js';
import { VERSION } from './version.js';

interface ScanFlags {
  format: Format;
  output?: string;
  include: string[];
  exclude: string[];
  failOn: Severity | 'none';
  allowUnevaluated: boolean;
  concurrency: number;
  color?: boolean;
  quiet: boolean;
  policy?: string;
  policyDiscovery: boolean;
  showSuppressed: boolean;
}

/** --policy FILE, else a discovered upload-audit.yaml (unless --no-policy-discovery), else the default. */
function policyFor(dir: string, flags: ScanFlags): PolicySet {
  if (flags.policy !== undefined) return loadPolicyFile(flags.policy);
  const found = flags.policyDiscovery ? discoverPolicy(realRoot(dir), process.cwd()) : undefined;
  return found ? loadPolicyFile(found) : defaultPolicySet();
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new InvalidArgumentError('expected a whole number from 1 to 256');
  return n;
}

const SCAN_EXAMPLES = `
Examples:
  $ upload-audit scan /var/www/uploads
  $ upload-audit scan uploads --format json --output report.json
  $ upload-audit scan uploads --exclude 'cache/**' --fail-on critical
  $ upload-audit scan uploads --format jsonl | jq 'select(.type == "finding")'

Exit status: 0 no finding reaches --fail-on; 1 one does, or an entry could not be
evaluated (unless --allow-unevaluated); 2 usage, configuration or runtime error.`;

async function scanCommand(dir: string, flags: ScanFlags): Promise<void> {
  const report = await runScan({
    root: dir,
    policy: policyFor(dir, flags),
    include: flags.include,
    exclude: flags.exclude,
    failOn: flags.failOn,
    allowUnevaluated: flags.allowUnevaluated,
    concurrency: flags.concurrency,
  });
  const toFile = flags.output !== undefined;
  const level = colorLevel({
    flag: flags.color,
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    toFile,
  });
  const context = {
    color: chalkFor(level),
    ...(!toFile && process.stdout.columns && { columns: process.stdout.columns }),
  };
  const text = REPORTERS[flags.format](report, context);
  if (flags.output !== undefined) {
    writeFileAtomic(flags.output, text);
    if (!flags.quiet) {
      const s = report.summary;
      process.stderr.write(
        `upload-audit: ${s.failed ? 'FAIL' : 'PASS'}: ${s.findings} findings, ${s.notEvaluated} not evaluated; report written to ${flags.output}\n`,
      );
    }
  } else {
    await writeStdout(text);
  }
  process.exitCode = report.summary.failed ? 1 : 0;
}

export function buildProgram(): Command {
  const program = new Command('upload-audit')
    .description('Audit an upload folder against a policy: every file classified, nothing changed.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('scan')
    .description('Walk DIR (never following symlinks, dotfiles included), inspect every entry and report.')
    .argument('<dir>', 'the upload folder to audit')
    .addOption(new Option('-f, --format <format>', 'report format').choices(FORMATS).default('table'))
    .option('-o, --output <file>', 'write the report to FILE instead of stdout')
    .option('--include <glob>', 'only evaluate files matching GLOB (repeatable)', collect, [])
    .option(
      '--exclude <glob>',
      'skip entries matching GLOB; a matching folder is not entered (repeatable)',
      collect,
      [],
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding reaches this severity')
        .choices([...SEVERITIES, 'none'])
        .default('high'),
    )
    .option('--allow-unevaluated', 'do not fail because some entries could not be evaluated', false)
    .option(
      '-j, --concurrency <n>',
      'worker threads (default: the number of cores)',
      positiveInt,
      availableParallelism(),
    )
    .option('--color', 'force colored output')
    .option('--no-color', 'disable colored output (NO_COLOR and FORCE_COLOR are honored too)')
    .option('-q, --quiet', 'print nothing on stderr but errors', false)
    .option(
      '-p, --policy <file>',
      'policy file (YAML or JSON); default: upload-audit.yaml found above DIR or here',
    )
    .option('--no-policy-discovery', 'do not look for upload-audit.yaml / .upload-audit.yaml')
    .option('--show-suppressed', 'list suppressed findings in the table too', false)
    .addHelpText('after', SCAN_EXAMPLES)
    .action(scanCommand);

  registerPolicyCommands(program);
  registerRuleCommands(program);

  return program;
}

/** Each line of the message (a policy error may name several problems) on its own prefixed line. */
function fail(message: string): void {
  process.stderr.write(
    message
      .split('\n')
      .map((line) => `upload-audit: ${line}\n`)
      .join(''),
  );
  process.exitCode = EXIT_ERROR;
}

/** Entry point: every error becomes one line on stderr and exit status 2. */
export async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') fail(`cannot write output: ${error.message}`);
  });
  try {
    await buildProgram().parseAsync(argv);
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
