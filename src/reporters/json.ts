import type { Comparison } from '../baseline/compare.js';
import type { Finding, Report } from '../model/types.js';
import { renderMessage } from '../rules/messages.js';
import { jsonAsciiSafe } from '../util/escape.js';
import { blocks } from './shared.js';
import type { Reporter } from './types.js';

/**
 * A finding as the JSON formats write it: stable key order, the message in words beside its id.
 * Absent keys are undefined, which JSON.stringify leaves out.
 */
export function jsonFinding(f: Finding): Record<string, unknown> {
  return {
    path: f.path,
    pathBase64: f.pathBase64,
    innerPath: f.innerPath,
    location: f.location,
    client: f.client,
    user: f.user,
    kind: f.kind,
    category: f.category,
    ruleId: f.ruleId,
    severity: f.severity,
    message: renderMessage(f),
    messageId: f.messageId,
    evidence: f.evidence,
    sha256: f.sha256,
    fingerprint: f.fingerprint,
    suppressed: f.suppressed,
    count: f.count,
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

/** The report document as the JSON format writes it, with the findings left to the caller. */
function documentWithout(report: Report, findings: unknown): Record<string, unknown> {
  const { schemaVersion, tool, root, rootAbsolute, source, policy, startedAt, durationMs, summary } = report;
  return {
    schemaVersion,
    tool,
    root,
    ...(rootAbsolute !== undefined && { rootAbsolute }),
    source,
    policy,
    startedAt,
    durationMs,
    summary,
    findings,
    notEvaluated: report.notEvaluated,
    suppressions: report.suppressions,
    ...(report.comparison && { comparison: jsonComparison(report.comparison) }),
    ...(report.shard && { shard: report.shard }),
    ...(report.view && { view: report.view }),
    ...(report.incremental && { incremental: report.incremental }),
  };
}

/**
 * Findings per piece of a streamed report (about 60 KB of text): a report of a million findings
 * is written without ever being one string, and no piece is large.
 */
export const FINDINGS_PER_PIECE = 100;

/** Where the findings go in the document (the one value written piece by piece). */
const FINDINGS = Symbol('findings');

/** A value as JSON.stringify(_, null, 2) writes it when it sits at `indent` in a document. */
const indented = (value: unknown, indent: string): string =>
  JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);

/**
 * The JSON report as pieces whose concatenation is `JSON.stringify(document, null, 2)` made safe
 * for terminals: every field of the document in turn, and the findings a block at a time.
 */
export function* jsonPieces(report: Report): Generator<string> {
  const fields = Object.entries(documentWithout(report, FINDINGS)).filter(([, value]) => value !== undefined);
  yield '{\n';
  for (const [i, [key, value]] of fields.entries()) {
    const head = `  ${JSON.stringify(key)}: `;
    const end = i < fields.length - 1 ? ',\n' : '\n';
    if (value !== FINDINGS) yield jsonAsciiSafe(head + indented(value, '  ') + end);
    else if (report.findings.length === 0) yield `${head}[]${end}`;
    else {
      yield `${head}[\n`;
      for (const { block, last } of blocks(report.findings, FINDINGS_PER_PIECE)) {
        const text = block.map((f) => `    ${indented(jsonFinding(f), '    ')}`).join(',\n');
        yield jsonAsciiSafe(text) + (last ? `\n  ]${end}` : ',\n');
      }
    }
  }
  yield '}\n';
}

export const json: Reporter = (report) => [...jsonPieces(report)].join('');

/** JSON Lines in pieces of FINDINGS_PER_PIECE lines: one line per finding and not-evaluated entry, then the summary. */
export function* jsonlPieces(report: Report): Generator<string> {
  const line = (value: unknown): string => `${jsonAsciiSafe(JSON.stringify(value))}\n`;
  for (const { block } of blocks(report.findings, FINDINGS_PER_PIECE))
    yield block.map((f) => line({ type: 'finding', ...jsonFinding(f) })).join('');
  for (const { block } of blocks(report.notEvaluated, FINDINGS_PER_PIECE))
    yield block.map((n) => line({ type: 'not-evaluated', ...n })).join('');
  yield line({
    // The run's metadata and its summary exactly as the json format has them (summary nested,
    // not spread), so one reader serves both; the comparison as counts, its lists being long.
    type: 'summary',
    schemaVersion: report.schemaVersion,
    tool: report.tool,
    root: report.root,
    ...(report.rootAbsolute !== undefined && { rootAbsolute: report.rootAbsolute }),
    source: report.source,
    policy: report.policy,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    summary: report.summary,
    suppressions: report.suppressions,
    ...(report.shard && { shard: report.shard }),
    ...(report.comparison && {
      comparison: {
        new: report.comparison.new.length,
        fixed: report.comparison.fixed.length,
        moved: report.comparison.moved.length,
        unchanged: report.comparison.unchanged,
      },
    }),
    ...(report.view && { view: report.view }),
    ...(report.incremental && { incremental: report.incremental }),
  });
}

export const jsonl: Reporter = (report) => [...jsonlPieces(report)].join('');
