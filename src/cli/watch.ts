/** `upload-audit watch DIR`: findings as files land, as JSON Lines or a line each for a terminal. */
import { type Command, Option } from 'commander';
import { type Finding, type NotEvaluated, SEVERITIES, type Severity } from '../model/types.js';
import { jsonFinding } from '../reporters/json.js';
import { realRoot } from '../sources/directory/run.js';
import { escapeUnsafe, jsonAsciiSafe } from '../util/escape.js';
import { WatchQuarantine } from '../watch/quarantine.js';
import { UploadWatcher } from '../watch/watch.js';
import { runUntilStopped } from './daemon.js';
import { choosePolicy, entryCount } from './options.js';
import { writeStdout } from './output.js';

interface WatchFlags {
  settle: number;
  reconcileEvery: number;
  poll: boolean;
  format?: 'jsonl' | 'text';
  policy?: string;
  policyDiscovery: boolean;
  quiet: boolean;
  quarantine?: string;
  minSeverity: Severity;
}

function lines(
  format: 'jsonl' | 'text',
  findings: Finding[],
  notEvaluated: NotEvaluated | undefined,
): string {
  if (format === 'jsonl') {
    const out = findings.map((f) => jsonAsciiSafe(JSON.stringify({ type: 'finding', ...jsonFinding(f) })));
    if (notEvaluated) out.push(jsonAsciiSafe(JSON.stringify({ type: 'not-evaluated', ...notEvaluated })));
    return out.map((l) => `${l}\n`).join('');
  }
  const out = findings.map(
    (f) =>
      `${f.severity.padEnd(8)} ${f.ruleId.padEnd(40)} ${escapeUnsafe(f.path)}${f.innerPath ? `!${escapeUnsafe(f.innerPath)}` : ''}`,
  );
  if (notEvaluated)
    out.push(`${'not evaluated'.padEnd(49)} ${escapeUnsafe(notEvaluated.path)} (${notEvaluated.reason})`);
  return out.map((l) => `${l}\n`).join('');
}

async function watchCommand(dir: string, flags: WatchFlags): Promise<void> {
  const rootReal = realRoot(dir);
  const format = flags.format ?? (process.stdout.isTTY ? 'text' : 'jsonl');
  const say = (line: string): void => {
    if (!flags.quiet) process.stderr.write(`upload-audit watch: ${line}\n`);
  };
  const policy = choosePolicy(flags, rootReal);
  const quarantine =
    flags.quarantine === undefined
      ? undefined
      : new WatchQuarantine(rootReal, flags.quarantine, flags.minSeverity);
  /** Move what the findings call for to quarantine, journaled as `fix --apply` does; say what moved. */
  const remediate = (path: string, findings: Finding[]): void => {
    const result = quarantine?.take(findings);
    if (!result) return;
    if (result.moved + result.chmodded > 0)
      say(
        `${result.moved > 0 ? 'quarantined' : 'changed the mode of'} ${escapeUnsafe(path)} (${findings.map((f) => f.ruleId).join(', ')}); restore ${escapeUnsafe(quarantine!.runDir)} undoes it`,
      );
    for (const failure of result.failed) say(`left ${escapeUnsafe(failure.path)} in place: ${failure.why}`);
  };
  const watch = new UploadWatcher({
    root: rootReal,
    policy,
    settleMs: flags.settle,
    reconcileMs: flags.reconcileEvery * 1000,
    poll: flags.poll,
    onAudited: (path, findings, notEvaluated) => {
      const text = lines(format, findings, notEvaluated);
      if (text !== '') void writeStdout(text);
      remediate(path, findings);
    },
    onNote: say,
  });
  try {
    await watch.start();
    say(`watching ${escapeUnsafe(dir)}: what is there now is audited first, then each file as it lands`);
    await runUntilStopped(
      { reload: (next) => watch.reload(next), reloadFailed: () => 'the old one', stop: () => watch.stop() },
      () => choosePolicy(flags, rootReal),
      say,
    );
  } catch (error) {
    quarantine?.abandon();
    throw error;
  }
  quarantine?.close();
}

export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description(
      'Audit each new or changed file of DIR as it lands (once it has stopped changing), with the same policy as scan; what is there at start is audited first.',
    )
    .argument('<dir>', 'the upload folder to watch')
    .option('--settle <ms>', 'audit a file once it has had no event for this long', entryCount, 1000)
    .option(
      '--reconcile-every <seconds>',
      'walk the tree this often for files the watcher missed (also after bursts and watcher errors)',
      entryCount,
      300,
    )
    .option(
      '--poll',
      'no filesystem events: walk the tree every --reconcile-every seconds (network and FUSE mounts, whose remote changes inotify never sees)',
      false,
    )
    .addOption(
      new Option(
        '--format <format>',
        'findings as JSON Lines, or a line each (default: text on a terminal, else jsonl)',
      ).choices(['jsonl', 'text']),
    )
    .option(
      '-p, --policy <file>',
      'policy file; default: $UPLOAD_AUDIT_POLICY, else discovered; SIGHUP reloads it',
    )
    .option('--no-policy-discovery', 'do not look for upload-audit.yaml / .upload-audit.yaml')
    .option(
      '--quarantine <qdir>',
      'move what fix --apply would (findings at or above --min-severity) to this quarantine as found, journaled; restore undoes it',
    )
    .addOption(
      new Option('--min-severity <severity>', 'with --quarantine: act on findings at or above this severity')
        .choices([...SEVERITIES])
        .default('high'),
    )
    .option('-q, --quiet', 'print nothing on stderr but errors', false)
    .action(watchCommand);
}
