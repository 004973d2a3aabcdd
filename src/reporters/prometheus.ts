/**
 * A run as Prometheus metrics, for node_exporter's textfile collector (`--metrics FILE`): what
 * was found, what could not be evaluated and why, what was read, how long it took, and the
 * heartbeat an alert rule watches: the time of the last run that evaluated everything.
 */
import {
  CATEGORIES,
  type Category,
  NOT_EVALUATED_REASONS,
  type Report,
  SEVERITIES,
  type Severity,
} from '../model/types.js';

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
const label = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const HEARTBEAT = 'upload_audit_last_full_coverage_timestamp_seconds';

/** The heartbeat a previous metrics file recorded for this root, if any. */
export function previousHeartbeat(text: string | undefined, root: string): number | undefined {
  if (text === undefined) return undefined;
  const line = text.split('\n').find((l) => l.startsWith(`${HEARTBEAT}{root="${label(root)}"}`));
  const value = Number(line?.split(' ').at(-1));
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The metrics text of `report`. A run with entries not evaluated keeps the heartbeat of the last
 * run that had none (`previous`), so an alert fires when coverage has been partial for too long.
 */
export function metricsText(report: Report, previous?: number): string {
  const root = `root="${label(report.root)}"`;
  const s = report.summary;
  const ended = (Date.parse(report.startedAt) + report.durationMs) / 1000;
  const fullCoverage = s.notEvaluated === 0;
  const found = new Map<string, number>();
  for (const f of report.findings) {
    if (f.suppressed) continue;
    const key = `${f.severity}\u0000${f.category}`;
    found.set(key, (found.get(key) ?? 0) + (f.count ?? 1));
  }
  const lines: string[] = [
    '# HELP upload_audit_findings Findings of the last run that were not suppressed, by severity and category.',
    '# TYPE upload_audit_findings gauge',
  ];
  for (const severity of SEVERITIES as readonly Severity[])
    for (const category of CATEGORIES as readonly Category[])
      lines.push(
        `upload_audit_findings{${root},severity="${severity}",category="${category}"} ${found.get(`${severity}\u0000${category}`) ?? 0}`,
      );
  lines.push(
    '# HELP upload_audit_findings_suppressed Findings of the last run that a policy suppression accepted.',
    '# TYPE upload_audit_findings_suppressed gauge',
    `upload_audit_findings_suppressed{${root}} ${s.suppressed}`,
    '# HELP upload_audit_entries Entries of the last run, by what became of them.',
    '# TYPE upload_audit_entries gauge',
    `upload_audit_entries{${root},state="evaluated"} ${s.evaluated}`,
    `upload_audit_entries{${root},state="not_evaluated"} ${s.notEvaluated}`,
    `upload_audit_entries{${root},state="excluded"} ${s.excluded}`,
    '# HELP upload_audit_not_evaluated Entries the last run could not evaluate, by reason.',
    '# TYPE upload_audit_not_evaluated gauge',
    ...NOT_EVALUATED_REASONS.map(
      (reason) =>
        `upload_audit_not_evaluated{${root},reason="${reason}"} ${s.notEvaluatedByReason[reason] ?? 0}`,
    ),
    '# HELP upload_audit_files Regular files (a log: upload records) of the last run, present and evaluated.',
    '# TYPE upload_audit_files gauge',
    `upload_audit_files{${root},state="present"} ${s.files}`,
    `upload_audit_files{${root},state="evaluated"} ${s.filesEvaluated ?? 0}`,
    '# HELP upload_audit_bytes Bytes of those files (a log: of its lines), present and evaluated.',
    '# TYPE upload_audit_bytes gauge',
    `upload_audit_bytes{${root},state="present"} ${s.bytes}`,
    `upload_audit_bytes{${root},state="evaluated"} ${s.bytesEvaluated ?? 0}`,
    '# HELP upload_audit_run_duration_seconds How long the last run took.',
    '# TYPE upload_audit_run_duration_seconds gauge',
    `upload_audit_run_duration_seconds{${root}} ${report.durationMs / 1000}`,
    '# HELP upload_audit_run_failed 1 when the last run failed its gate (--fail-on, entries not evaluated).',
    '# TYPE upload_audit_run_failed gauge',
    `upload_audit_run_failed{${root}} ${s.failed ? 1 : 0}`,
    '# HELP upload_audit_last_run_timestamp_seconds When the last run ended.',
    '# TYPE upload_audit_last_run_timestamp_seconds gauge',
    `upload_audit_last_run_timestamp_seconds{${root}} ${ended}`,
  );
  const heartbeat = fullCoverage ? ended : previous;
  if (heartbeat !== undefined)
    lines.push(
      '# HELP upload_audit_last_full_coverage_timestamp_seconds When a run last evaluated every entry it found.',
      `# TYPE ${HEARTBEAT} gauge`,
      `${HEARTBEAT}{${root}} ${heartbeat}`,
    );
  return `${lines.join('\n')}\n`;
}
