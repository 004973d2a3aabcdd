import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { Comparison, Counts } from '../baseline/compare.js';
import { CATEGORIES, type Finding, SEVERITIES } from '../model/types.js';
import { renderMessage } from '../rules/messages.js';
import { escapeUnsafe } from '../util/escape.js';
import { findingPlace } from './shared.js';

const delta = (before: number, after: number, c: ChalkInstance): string => {
  const d = after - before;
  return d === 0 ? c.gray('0') : d > 0 ? c.red(`+${d}`) : c.green(String(d));
};

/** Rows of "name | before | after | Δ" for every severity and category that is not zero in both. */
export function countRows(before: Counts, after: Counts): [string, number, number][] {
  const rows: [string, number, number][] = [];
  for (const s of [...SEVERITIES].reverse()) rows.push([s, before.bySeverity[s], after.bySeverity[s]]);
  for (const cat of CATEGORIES) rows.push([cat, before.byCategory[cat], after.byCategory[cat]]);
  return [...rows.filter(([, b, a]) => b > 0 || a > 0), ['total', before.total, after.total]];
}

const line = (f: Finding): string =>
  `${f.severity.padEnd(8)} ${f.ruleId}  ${escapeUnsafe(findingPlace(f))}: ${escapeUnsafe(renderMessage(f))}`;

/** The before/after section of the table report. */
export function comparisonLines(
  c: Comparison,
  color: ChalkInstance,
  labels = { before: 'before', after: 'after' },
): string[] {
  const grid = new Table({
    head: ['', labels.before, labels.after, 'Δ'].map((h) => color.bold(h)),
    style: { head: [], border: [] },
  });
  for (const [name, b, a] of countRows(c.before, c.after))
    grid.push([name, String(b), String(a), delta(b, a, color)]);
  const out = [
    color.bold(
      `Before/after: compared with the run of ${c.baseline.startedAt} (${escapeUnsafe(c.baseline.root)})`,
    ),
    grid.toString(),
    `${c.new.length} new, ${c.fixed.length} fixed, ${c.moved.length} moved, ${c.unchanged} unchanged`,
  ];
  // One push per finding: a list spread into push() overflows the stack at ~100,000 items.
  if (c.new.length > 0) {
    out.push('', color.red.bold(`New (${c.new.length}):`));
    for (const f of c.new) out.push(`  ${line(f)}`);
  }
  if (c.fixed.length > 0) {
    out.push('', color.green.bold(`Fixed (${c.fixed.length}):`));
    for (const f of c.fixed) out.push(`  ${line(f)}`);
  }
  if (c.moved.length > 0) {
    out.push('', color.bold(`Moved, same content (${c.moved.length}):`));
    for (const m of c.moved)
      out.push(`  ${m.to.ruleId}  ${escapeUnsafe(m.from.path)} -> ${escapeUnsafe(m.to.path)}`);
  }
  return out;
}
