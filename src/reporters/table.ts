import { createRequire } from 'node:module';
import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { type Report, SEVERITIES, type Severity, type SuppressionNote } from '../model/types.js';
import { formatBytes, renderMessage } from '../rules/messages.js';
import { escapeUnsafe } from '../util/escape.js';
import { formatCount } from '../util/format.js';
import { comparisonLines } from './comparison.js';
import { blocks, coverage, findingPlace, largest } from './shared.js';
import type { RenderContext, Reporter } from './types.js';

export const paint = (c: ChalkInstance, severity: Severity): string =>
  ({
    critical: c.level > 0 ? c.bgRed.white.bold(' critical ') : 'critical',
    high: c.red.bold('high'),
    medium: c.yellow('medium'),
    low: c.blue('low'),
    info: c.gray('info'),
  })[severity];

const count = (n: number, one: string, many = `${one}s`): string =>
  `${formatCount(n)} ${n === 1 ? one : many}`;

function summaryLines(report: Report, c: ChalkInstance, newFindings?: number): string[] {
  const { summary: s, durationMs } = report;
  const severities = [...SEVERITIES]
    .reverse()
    .filter((sev) => s.bySeverity[sev] > 0)
    .map((sev) => `${s.bySeverity[sev]} ${sev}`);
  const verdict = s.failed ? c.red.bold('FAIL') : c.green.bold('PASS');
  const head =
    s.findings === 0 ? 'No findings' : `${count(s.findings, 'finding')} (${severities.join(', ')})`;
  const reasons = Object.entries(s.notEvaluatedByReason).map(([reason, n]) => `${n} ${reason}`);
  return [
    `${verdict} ${head}; fail-on: ${s.failOn}${newFindings === undefined ? '' : ` (judging the ${newFindings} new only)`}`,
    `${count(s.entries, 'entry', 'entries')} scanned: ${count(s.files, 'file')}, ${count(s.directories, 'directory', 'directories')}, ${count(s.symlinks, 'symlink')}, ${s.other} other; ${formatBytes(s.bytes)} in ${(durationMs / 1000).toFixed(2)} s`,
    `${formatCount(s.evaluated)} evaluated, ${s.notEvaluated > 0 ? c.yellow.bold(`${s.notEvaluated} not evaluated`) : '0 not evaluated'}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}, ${s.excluded} excluded`,
    `coverage: ${coverage(report)}`,
  ];
}

/**
 * Column widths that fit `columns`: severity and rule as wide as their longest value, the path and
 * the message share the rest. Long values wrap mid-word rather than being cut: a path must never
 * lose characters.
 */
function widths(columns: number | undefined, ruleWidth: number): number[] | undefined {
  if (!columns || columns < 60) return undefined;
  const rest = Math.max(20, columns - 12 - ruleWidth - 5);
  return [12, ruleWidth, Math.floor(rest * 0.45), Math.ceil(rest * 0.55)];
}

/**
 * Break words longer than the cell into pieces, so word wrapping never has to cut one (cli-table3
 * truncates such words, and its mid-word wrapping miscounts color codes). Plain text only.
 */
function breakLongWords(text: string, width: number): string {
  const room = Math.max(4, width - 2);
  return text
    .split(' ')
    .map((word) => {
      const chars = [...word];
      if (chars.length <= room) return word;
      const pieces: string[] = [];
      for (let i = 0; i < chars.length; i += room) pieces.push(chars.slice(i, i + room).join(''));
      return pieces.join('\n');
    })
    .join(' ');
}

/** How wide cli-table3 draws a cell's text: its own measure (ANSI codes stripped, wide characters 2). */
const { strlen } = createRequire(import.meta.url)('cli-table3/src/utils.js') as {
  strlen: (text: string) => number;
};

/**
 * Rows per cli-table3 table. Its layout compares every cell with every cell above it
 * (cli-table3#68): 16,000 findings took 10 s and 80,000 minutes. The rows are drawn in blocks of
 * this many with the same column widths and joined into the one table a single draw would give.
 */
const ROWS_PER_BLOCK = 200;

/**
 * A cli-table3 table of `rows` under `head`, drawn block by block: the blocks, each its lines
 * joined by newlines, make the table when joined by newlines. Without `colWidths` each column is
 * as wide as its widest cell, as cli-table3 would make it; the top border of every block after
 * the first becomes a row separator, and the bottom border of every block but the last is dropped.
 */
export function* tableBlocks(
  head: string[],
  rows: string[][],
  colWidths: readonly number[] | undefined,
  rowsPerBlock = ROWS_PER_BLOCK,
): Generator<string> {
  const padding = 2;
  const widths = colWidths
    ? [...colWidths]
    : head.map(
        (h, column) =>
          largest(
            rows.map((row) => strlen(row[column]!)),
            strlen(h),
          ) + padding,
      );
  for (const { block, first, last } of blocks(rows, rowsPerBlock)) {
    // cli-table3's own styling consults the environment; all color comes from the caller.
    const grid = new Table({
      ...(first && { head }),
      style: { head: [], border: [] },
      colWidths: widths,
      ...(colWidths && { wordWrap: true }),
    });
    grid.push(...block);
    const drawn = grid.toString().split('\n');
    if (!first) drawn[0] = drawn[0]!.replace('┌', '├').replaceAll('┬', '┼').replace('┐', '┤');
    if (!last) drawn.pop();
    yield drawn.join('\n');
  }
}

function suppressionLines(report: Report, c: ChalkInstance, shown: boolean): string[] {
  const out: string[] = [];
  const { suppressed } = report.summary;
  if (suppressed > 0 && !shown)
    out.push('', c.gray(`${suppressed} suppressed (--show-suppressed to list them)`));
  const note = (s: SuppressionNote): string =>
    `  ${s.by} (${s.rule}): ${escapeUnsafe(s.reason)}${s.expires ? `, expires ${s.expires}` : ''}`;
  if (report.suppressions.expired.length > 0) {
    out.push(
      '',
      c.yellow.bold('Expired suppressions (no longer suppressing):'),
      ...report.suppressions.expired.map(note),
    );
  }
  if (report.suppressions.unused.length > 0) {
    out.push(
      '',
      c.yellow.bold('Unused suppressions (matched nothing):'),
      ...report.suppressions.unused.map(note),
    );
  }
  return out;
}

/**
 * The table report in pieces: the table block by block, then the rest. A table of 80,000
 * findings is ~120 MB of text (box-drawing characters make its strings two bytes a character);
 * written as it is drawn, it never exists whole, nor in the copies joining it would make.
 */
export function* tablePieces(
  report: Report,
  { color: c, columns, showSuppressed = false }: RenderContext,
): Generator<string> {
  const rows = report.findings.filter((f) => showSuppressed || f.suppressed === undefined);
  if (rows.length > 0) {
    const colWidths = widths(
      columns,
      largest(
        rows.map((f) => f.ruleId.length),
        8,
      ) + 2,
    );
    const fitCell = (text: string, column: number): string =>
      colWidths ? breakLongWords(text, colWidths[column]!) : text;
    // New since the baseline or the last run: marked where one applies.
    const fresh = new Set(report.comparison?.new.map((f) => f.fingerprint));
    const cells = rows.map((f) => {
      const path = escapeUnsafe(findingPlace(f));
      const severity =
        (f.suppressed ? c.gray(`${f.severity} (suppressed)`) : paint(c, f.severity)) +
        (fresh.has(f.fingerprint) ? c.bold(' new') : '');
      // Colored text is added after the fitting: it must not be split.
      const note = f.suppressed ? c.gray(` [${f.suppressed.by}: ${escapeUnsafe(f.suppressed.reason)}]`) : '';
      return [severity, f.ruleId, fitCell(path, 2), fitCell(escapeUnsafe(renderMessage(f)), 3) + note];
    });
    const head = ['Severity', 'Rule', 'Path', 'Details'].map((h) => c.bold(h));
    for (const block of tableBlocks(head, cells, colWidths)) yield `${block}\n`;
  }
  // The lines after the table, whose last piece ended its last line.
  yield `${closingLines(report, c, showSuppressed).join('\n')}\n`;
}

/**
 * What follows the findings in the terminal layouts: entries not evaluated, suppressions, the
 * before/after, the summary and the policy.
 */
export function closingLines(report: Report, c: ChalkInstance, showSuppressed: boolean): string[] {
  let out: string[] = [];
  if (report.notEvaluated.length > 0) {
    const count = report.summary.notEvaluated;
    out.push('', c.yellow.bold(`Not evaluated (${count}): never reported as clean`));
    for (const n of report.notEvaluated) {
      out.push(
        `  ${escapeUnsafe(n.path)}  ${c.yellow(n.reason)}${n.detail ? ` (${escapeUnsafe(n.detail)})` : ''}`,
      );
    }
  }
  out.push(...suppressionLines(report, c, showSuppressed));
  if (report.comparison) out = out.concat('', comparisonLines(report.comparison, c));
  out.push(
    '',
    ...summaryLines(
      report,
      c,
      report.comparison?.judged === 'all' ? undefined : report.comparison?.new.length,
    ),
    `policy: ${escapeUnsafe(report.policy.source)} (${report.policy.digest.slice(0, 19)})`,
  );
  if (report.view && report.view.hidden > 0)
    out.push(
      `(${count(report.view.hidden, 'finding')} below ${report.view.severity} not shown: --severity ${report.view.severity})`,
    );
  return out;
}

export const table: Reporter = (report, context) => [...tablePieces(report, context)].join('');
