/**
 * The terminal's default layout: findings grouped by file (the path once, on a line of its own,
 * never broken), then one line per finding, wrapped at spaces to the terminal's width (100
 * columns when piped). New findings are marked where a baseline or history applies. The boxed
 * table (`--format table`) stays for those who want it.
 */
import type { ChalkInstance } from 'chalk';
import type { Finding, Report } from '../model/types.js';
import { renderMessage } from '../rules/messages.js';
import { escapeUnsafe } from '../util/escape.js';
import { findingPlace } from './shared.js';
import { closingLines, paint } from './table.js';
import type { Reporter } from './types.js';

/** The width when stdout is not a terminal: wide enough for a rule and a short message. */
const PIPED_COLUMNS = 100;
const SEVERITY_WIDTH = 10;

/** Visible length: ANSI color codes take no columns. */
const visible = (text: string): number => text.replace(/\u001b\[[0-9;]*m/g, '').length;

/** `text` broken at spaces into lines of at most `width` columns (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** The findings grouped by the file they are on, groups in the order of their most severe. */
function byFile(findings: readonly Finding[]): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const place = escapeUnsafe(findingPlace({ path: f.path, ...(f.location && { location: f.location }) }));
    const group = groups.get(place);
    if (group) group.push(f);
    else groups.set(place, [f]);
  }
  return groups;
}

function findingLines(f: Finding, c: ChalkInstance, columns: number, isNew: boolean): string[] {
  const severity = f.suppressed ? c.gray('suppressed') : paint(c, f.severity);
  const mark = isNew ? c.bold(' new') : '';
  const head = `  ${severity}${' '.repeat(Math.max(1, SEVERITY_WIDTH - visible(severity)))}${f.ruleId}${mark}`;
  const inner = f.innerPath ? `in ${escapeUnsafe(f.innerPath)}: ` : '';
  const note = f.suppressed ? ` [${f.suppressed.by}: ${escapeUnsafe(f.suppressed.reason)}]` : '';
  const message = `${inner}${escapeUnsafe(renderMessage(f))}${note}`;
  // The message beside the rule when it fits, else on lines of its own below it.
  if (visible(head) + 2 + message.length <= columns) return [`${head}  ${message}`];
  return [head, ...wrap(message, columns - 6).map((l) => `      ${l}`)];
}

export const text: Reporter = (report: Report, { color: c, columns, showSuppressed = false }) => {
  const width = Math.max(40, columns ?? PIPED_COLUMNS);
  const shown = report.findings.filter((f) => showSuppressed || f.suppressed === undefined);
  const fresh = new Set(report.comparison?.new.map((f) => f.fingerprint));
  const out: string[] = [];
  for (const [place, findings] of byFile(shown)) {
    out.push(c.bold(place));
    for (const f of findings) out.push(...findingLines(f, c, width, fresh.has(f.fingerprint)));
  }
  const closing = closingLines(report, c, showSuppressed);
  // closingLines starts its sections with a blank line where something precedes them.
  if (out.length === 0 && closing[0] === '') closing.shift();
  return `${[...out, ...closing].join('\n')}\n`;
};
