/**
 * Markdown for cron mail, pull-request comments and $GITHUB_STEP_SUMMARY: a summary per category
 * and severity, the before/after when there is a baseline, the top findings, and what was not
 * evaluated. Every name is escaped so it can neither break a table nor inject markup.
 */
import type { Comparison } from '../baseline/compare.js';
import { CATEGORIES, type Finding, SEVERITIES } from '../model/types.js';
import { renderMessage } from '../rules/messages.js';
import { escapeUnsafe } from '../util/escape.js';
import { countRows } from './comparison.js';
import { coverage, findingPlace } from './shared.js';
import type { Reporter } from './types.js';

/** How many findings (and not-evaluated entries) the report lists; the rest are counted. */
const MARKDOWN_TOP = 50;

/** Text safe inside a Markdown table cell: no markup, no HTML, no pipes, no line breaks. */
export function mdEscape(text: string): string {
  return escapeUnsafe(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '&#124;')
    .replace(/`/g, '&#96;')
    .replace(/([\\*_[\]~])/g, '\\$1')
    .replace(/:\/\//g, ':\\/\\/')
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}\\.`);
}

const where = (f: Finding): string => mdEscape(findingPlace(f));

function findingsTable(findings: Finding[]): string[] {
  const rows = findings
    .slice(0, MARKDOWN_TOP)
    .map((f) => `| ${f.severity} | ${mdEscape(f.ruleId)} | ${where(f)} | ${mdEscape(renderMessage(f))} |`);
  const more =
    findings.length > MARKDOWN_TOP
      ? [``, `…and ${findings.length - MARKDOWN_TOP} more (see the JSON report).`]
      : [];
  return ['| Severity | Rule | Path | Details |', '| --- | --- | --- | --- |', ...rows, ...more];
}

function comparisonSection(c: Comparison): string[] {
  const delta = (b: number, a: number): string => (a - b > 0 ? `+${a - b}` : String(a - b));
  return [
    `## Before/after`,
    '',
    `Compared with the run of ${mdEscape(c.baseline.startedAt)}: **${c.new.length} new**, ${c.fixed.length} fixed, ${c.moved.length} moved, ${c.unchanged} unchanged.`,
    '',
    '| | before | after | Δ |',
    '| --- | ---: | ---: | ---: |',
    ...countRows(c.before, c.after).map(([name, b, a]) => `| ${name} | ${b} | ${a} | ${delta(b, a)} |`),
    '',
    ...(c.new.length > 0 ? ['### New findings', '', ...findingsTable(c.new), ''] : []),
    ...(c.fixed.length > 0 ? ['### Fixed findings', '', ...findingsTable(c.fixed), ''] : []),
  ];
}

export const markdown: Reporter = (report) => {
  const s = report.summary;
  const active = report.findings.filter((f) => !f.suppressed);
  const cell = (category: string, severity: string): number =>
    active.filter((f) => f.category === category && f.severity === severity).length;
  const severities = [...SEVERITIES].reverse();
  const out = [
    `# upload-audit: ${s.failed ? 'FAIL' : 'PASS'}`,
    '',
    `${mdEscape(report.root)}: ${s.findings} findings (${s.suppressed} suppressed), ${s.entries} entries, ${s.evaluated} evaluated, **${s.notEvaluated} not evaluated**; ${coverage(report)}; fail-on ${s.failOn}.`,
    '',
    `| Category | ${severities.join(' | ')} | total |`,
    `| --- | ${severities.map(() => '---:').join(' | ')} | ---: |`,
    ...CATEGORIES.map(
      (c) => `| ${c} | ${severities.map((sev) => cell(c, sev)).join(' | ')} | ${s.byCategory[c]} |`,
    ),
    `| **total** | ${severities.map((sev) => s.bySeverity[sev]).join(' | ')} | ${s.findings} |`,
    '',
  ];
  if (report.comparison) out.push(...comparisonSection(report.comparison));
  if (active.length > 0) out.push('## Top findings', '', ...findingsTable(active), '');
  if (report.notEvaluated.length > 0) {
    out.push('## Not evaluated', '', 'Never reported as clean:', '');
    for (const n of report.notEvaluated.slice(0, MARKDOWN_TOP))
      out.push(`- ${mdEscape(n.path)}: ${n.reason}${n.detail ? ` (${mdEscape(n.detail)})` : ''}`);
    if (report.notEvaluated.length > MARKDOWN_TOP)
      out.push(`- …and ${report.notEvaluated.length - MARKDOWN_TOP} more`);
    out.push('');
  }
  out.push(
    `<sub>upload-audit ${mdEscape(report.tool.version)} · policy ${mdEscape(report.policy.source)} (${mdEscape(report.policy.digest.slice(0, 19))})</sub>`,
    '',
  );
  return out.join('\n');
};
