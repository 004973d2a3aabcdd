import { compareFindings as compareBaseline } from '../baseline/compare.js';
import type { Counters } from '../model/counters.js';
import {
  CATEGORIES,
  type Category,
  type Finding,
  type NotEvaluated,
  type NotEvaluatedReason,
  type Report,
  SEVERITIES,
  type Severity,
  type Summary,
} from '../model/types.js';
import type { PolicySet } from '../policy/policy.js';
import { byText } from '../util/order.js';
import { VERSION } from '../util/version.js';
import { exitCodeFor } from './exit-code.js';
import { compareSeverityDesc } from './severity.js';
import { suppressionReport } from './suppress.js';

/** Most severe first, then by path, inner path and rule: the same order however the work was split. */
function compareFindings(a: Finding, b: Finding): number {
  return (
    compareSeverityDesc(a.severity, b.severity) ||
    byText(a.location?.file ?? '', b.location?.file ?? '') ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    byText(a.path, b.path) ||
    byText(a.innerPath ?? '', b.innerPath ?? '') ||
    byText(a.ruleId, b.ruleId) ||
    byText(a.fingerprint, b.fingerprint)
  );
}

export interface SummaryInputs {
  counters: Counters;
  findings: readonly Finding[];
  /** With a baseline, only these (the new findings) can fail the run. */
  failFindings?: readonly Finding[];
  notEvaluated: readonly NotEvaluated[];
  failOn: Severity | 'none';
  allowUnevaluated: boolean;
}

export function summarize({
  counters,
  findings,
  failFindings,
  notEvaluated,
  failOn,
  allowUnevaluated,
}: SummaryInputs): Summary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const active = findings.filter((f) => f.suppressed === undefined);
  let occurrences = 0;
  for (const f of active) {
    const count = f.count ?? 1;
    bySeverity[f.severity] += count;
    byCategory[f.category] += count;
    occurrences += count;
  }
  let suppressed = 0;
  for (const f of findings) if (f.suppressed !== undefined) suppressed += f.count ?? 1;
  const notEvaluatedByReason: Partial<Record<NotEvaluatedReason, number>> = {};
  let unevaluated = 0;
  for (const n of notEvaluated) {
    const count = n.count ?? 1;
    notEvaluatedByReason[n.reason] = (notEvaluatedByReason[n.reason] ?? 0) + count;
    unevaluated += count;
  }
  const judged = (failFindings ?? findings).filter((f) => f.suppressed === undefined);
  const exit = exitCodeFor({ findings: judged, notEvaluated: unevaluated, failOn, allowUnevaluated });
  return {
    ...counters,
    notEvaluated: unevaluated,
    notEvaluatedByReason,
    findings: occurrences,
    suppressed,
    bySeverity,
    byCategory,
    failOn,
    failed: exit !== 0,
  };
}

export function sortReport(findings: Finding[], notEvaluated: NotEvaluated[]): void {
  findings.sort(compareFindings);
  notEvaluated.sort(
    (a, b) =>
      byText(a.location?.file ?? '', b.location?.file ?? '') ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      byText(a.path, b.path) ||
      byText(a.reason, b.reason),
  );
}

export interface ReportParts {
  root: string;
  rootAbsolute: string;
  source: Report['source'];
  policy: PolicySet;
  started: Date;
  ended: Date;
  counters: Counters;
  findings: Finding[];
  notEvaluated: NotEvaluated[];
  failOn: Severity | 'none';
  allowUnevaluated: boolean;
  baseline?: Report | undefined;
  shard?: Report['shard'] | undefined;
  incremental?: Report['incremental'] | undefined;
  /** With a baseline: judge its new findings only (the default), or all. */
  judge?: 'new' | 'all' | undefined;
}

/** The finished report of any source: sorted, summarized, compared and with the suppression notes. */
export function assembleReport(p: ReportParts): Report {
  sortReport(p.findings, p.notEvaluated);
  const judged = p.judge ?? 'new';
  const comparison = p.baseline && { ...compareBaseline(p.baseline, p.findings), judged };
  return {
    schemaVersion: 1,
    tool: { name: 'upload-audit', version: VERSION },
    root: p.root,
    rootAbsolute: p.rootAbsolute,
    source: p.source,
    policy: { source: p.policy.source, digest: p.policy.digest },
    startedAt: p.started.toISOString(),
    durationMs: Math.max(0, p.ended.getTime() - p.started.getTime()),
    summary: summarize({ ...p, ...(comparison && judged === 'new' && { failFindings: comparison.new }) }),
    findings: p.findings,
    notEvaluated: p.notEvaluated,
    suppressions: suppressionReport(p.policy.suppressions, p.findings, p.started.getTime()),
    ...(comparison && { comparison }),
    ...(p.shard && { shard: p.shard }),
    ...(p.incremental && { incremental: p.incremental }),
  };
}
