import type { Comparison } from '../compare.js';
import { jsonAsciiSafe } from '../escape.js';
import { renderMessage } from '../messages.js';
import type { Finding } from '../types.js';
import type { Reporter } from './types.js';

/** A finding as the JSON formats write it: stable key order, the message in words beside its id. */
export function jsonFinding(f: Finding): Record<string, unknown> {
  return {
    path: f.path,
    ...(f.pathBase64 !== undefined && { pathBase64: f.pathBase64 }),
    ...(f.innerPath !== undefined && { innerPath: f.innerPath }),
    ...(f.location !== undefined && { location: f.location }),
    ...(f.client !== undefined && { client: f.client }),
    ...(f.user !== undefined && { user: f.user }),
    ...(f.kind !== undefined && { kind: f.kind }),
    category: f.category,
    ruleId: f.ruleId,
    severity: f.severity,
    message: renderMessage(f),
    messageId: f.messageId,
    evidence: f.evidence,
    ...(f.sha256 !== undefined && { sha256: f.sha256 }),
    fingerprint: f.fingerprint,
    ...(f.suppressed !== undefined && { suppressed: f.suppressed }),
  };
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
