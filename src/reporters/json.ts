import type { Comparison } from '../compare.js';
import { jsonAsciiSafe } from '../escape.js';
import { renderMessage } from '../messages.js';
import type { Finding } from '../types.js';
import type { Reporter } from './types.js';

/**
 * A finding as the JSON formats write it: stable key order, the message in words beside its id.
 * Plain assignments rather than conditional spreads: a log report can hold 100k findings.
 */
export function jsonFinding(f: Finding): Record<string, unknown> {
  const out: Record<string, unknown> = { path: f.path };
  if (f.pathBase64 !== undefined) out.pathBase64 = f.pathBase64;
  if (f.innerPath !== undefined) out.innerPath = f.innerPath;
  if (f.location !== undefined) out.location = f.location;
  if (f.client !== undefined) out.client = f.client;
  if (f.user !== undefined) out.user = f.user;
  if (f.kind !== undefined) out.kind = f.kind;
  out.category = f.category;
  out.ruleId = f.ruleId;
  out.severity = f.severity;
  out.message = renderMessage(f);
  out.messageId = f.messageId;
  out.evidence = f.evidence;
  if (f.sha256 !== undefined) out.sha256 = f.sha256;
  out.fingerprint = f.fingerprint;
  if (f.suppressed !== undefined) out.suppressed = f.suppressed;
  return out;
}

/** The comparison with findings written like the report's own. */
export function jsonComparison(c: Comparison): Record<string, unknown> {
  return {
    ...c,
    new: c.new.map(jsonFinding),
    fixed: c.fixed.map(jsonFinding),
    moved: c.moved.map((m) => ({ from: jsonFinding(m.from), to: jsonFinding(m.to) })),
  };
}

export const json: Reporter = (report) => {
  const {
    schemaVersion,
    tool,
    root,
    rootAbsolute,
    source,
    policy,
    startedAt,
    durationMs,
    summary,
    findings,
    notEvaluated,
    suppressions,
  } = report;
  const doc = {
    schemaVersion,
    tool,
    root,
    ...(rootAbsolute !== undefined && { rootAbsolute }),
    source,
    policy,
    startedAt,
    durationMs,
    summary,
    findings: findings.map(jsonFinding),
    notEvaluated,
    suppressions,
    ...(report.comparison && { comparison: jsonComparison(report.comparison) }),
    ...(report.shard && { shard: report.shard }),
  };
  return `${jsonAsciiSafe(JSON.stringify(doc, null, 2))}\n`;
};

export const jsonl: Reporter = (report) => {
  const lines = [
    ...report.findings.map((f) => ({ type: 'finding', ...jsonFinding(f) })),
    ...report.notEvaluated.map((n) => ({ type: 'not-evaluated', ...n })),
    {
      type: 'summary',
      schemaVersion: report.schemaVersion,
      tool: report.tool,
      root: report.root,
      policy: report.policy,
      startedAt: report.startedAt,
      durationMs: report.durationMs,
      ...report.summary,
      suppressions: report.suppressions,
      ...(report.comparison && {
        comparison: {
          new: report.comparison.new.length,
          fixed: report.comparison.fixed.length,
          moved: report.comparison.moved.length,
          unchanged: report.comparison.unchanged,
        },
      }),
    },
  ];
  return lines.map((line) => `${jsonAsciiSafe(JSON.stringify(line))}\n`).join('');
};
