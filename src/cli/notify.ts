/**
 * After a run: `--metrics FILE` (Prometheus textfile, written atomically) and `--notify URL`
 * (a JSON summary POSTed to each webhook, Slack's shape when asked). Neither changes the run's
 * exit status: a failed notification is one line on stderr.
 */
import { readFileSync } from 'node:fs';
import type { Finding, Report } from '../model/types.js';
import { jsonFinding } from '../reporters/json.js';
import { metricsText, previousHeartbeat } from '../reporters/prometheus.js';
import { escapeUnsafe } from '../util/escape.js';
import { writeFileAtomic } from './output.js';

/** Write the run's metrics, keeping the last full-coverage heartbeat the file had. */
export function writeMetrics(file: string, report: Report): void {
  let previous: string | undefined;
  try {
    previous = readFileSync(file, 'utf8');
  } catch {
    previous = undefined; // the first run
  }
  writeFileAtomic(file, metricsText(report, previousHeartbeat(previous, report.root)));
}

/** Findings a notification lists: the new ones where a baseline or history applies, else all. */
const MAX_LISTED = 20;

function newsOf(report: Report): { findings: Finding[]; onlyNew: boolean } {
  const judged = (f: Finding) => f.suppressed === undefined;
  if (report.comparison) return { findings: report.comparison.new.filter(judged), onlyNew: true };
  return { findings: report.findings.filter(judged), onlyNew: false };
}

/** The body POSTed: a summary of the run, and its first findings (new ones, with a baseline). */
function notificationBody(report: Report, format: 'json' | 'slack'): unknown {
  const s = report.summary;
  const { findings, onlyNew } = newsOf(report);
  const severities = Object.entries(s.bySeverity)
    .filter(([, n]) => n > 0)
    .reverse()
    .map(([severity, n]) => `${n} ${severity}`)
    .join(', ');
  const headline = `upload-audit ${s.failed ? 'FAIL' : 'PASS'} on ${report.root}: ${s.findings} findings${severities ? ` (${severities})` : ''}, ${s.notEvaluated} not evaluated${report.comparison ? `; ${report.comparison.new.length} new, ${report.comparison.fixed.length} fixed` : ''}`;
  if (format === 'slack') {
    const listed = findings.slice(0, 10).map((f) => `• ${f.severity} ${f.ruleId}: ${f.path}`);
    return { text: [headline, ...listed].join('\n') };
  }
  return {
    type: 'upload-audit.run',
    tool: report.tool,
    root: report.root,
    source: report.source,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    failed: s.failed,
    summary: s,
    ...(report.comparison && {
      comparison: {
        new: report.comparison.new.length,
        fixed: report.comparison.fixed.length,
        judged: report.comparison.judged ?? 'new',
      },
    }),
    headline,
    findingsListed: onlyNew ? 'new' : 'all',
    findings: findings.slice(0, MAX_LISTED).map(jsonFinding),
    findingsNotListed: Math.max(0, findings.length - MAX_LISTED),
  };
}

/** Where a webhook goes, without what may be a secret (Slack puts its token in the path). */
const origin = (url: string): string => {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
};

/** POST to every URL with retries and backoff; say on stderr which could not be told. */
export async function notify(
  urls: readonly string[],
  report: Report,
  format: 'json' | 'slack',
  options: { attempts?: number; backoffMs?: number } = {},
): Promise<void> {
  const body = JSON.stringify(notificationBody(report, format));
  const attempts = options.attempts ?? 4;
  const backoff = options.backoffMs ?? 500;
  for (const url of urls) {
    let why = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (response.ok) {
          why = '';
          break;
        }
        why = `HTTP ${response.status}`;
        // A client error will not change by asking again.
        if (response.status >= 400 && response.status < 500 && response.status !== 429) break;
      } catch (error) {
        why =
          error instanceof Error
            ? error.cause instanceof Error
              ? error.cause.message
              : error.message
            : String(error);
      }
      if (attempt < attempts) await new Promise((wait) => setTimeout(wait, backoff * 2 ** (attempt - 1)));
    }
    if (why !== '')
      process.stderr.write(
        `upload-audit: notification to ${escapeUnsafe(origin(url))} failed: ${escapeUnsafe(why)}\n`,
      );
  }
}
