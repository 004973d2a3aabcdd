/** What every machine-readable reporter needs alike: severity mappings and one XML escaper. */

import type { Finding, Report, Severity } from '../model/types.js';
import { formatBytes } from '../rules/messages.js';
import { escapeUnsafe } from '../util/escape.js';
import { formatCount } from '../util/format.js';

/**
 * What a verdict covers, in words every summary uses: files (a log: upload records) and bytes
 * evaluated against those present. A file present but not evaluated (encrypted, unreadable) is
 * the gap a clean verdict must not hide.
 */
export function coverage(report: Pick<Report, 'source' | 'summary'>): string {
  const s = report.summary;
  const log = report.source === 'log';
  const what = log ? 'upload records' : 'files';
  const bytes = `${formatBytes(s.bytesEvaluated ?? 0)} of ${formatBytes(s.bytes)}${log ? ' of log lines' : ''}`;
  return `${formatCount(s.filesEvaluated ?? 0)} of ${formatCount(s.files)} ${what} evaluated (${bytes})`;
}

/**
 * The largest of `values`, or `floor` when none is larger. A loop, not Math.max(...values):
 * spreading a list into a call overflows the stack at about 100,000 items (a report's findings).
 */
export function largest(values: Iterable<number>, floor: number): number {
  let max = floor;
  for (const value of values) if (value > max) max = value;
  return max;
}

/** `items` in consecutive blocks of `size`, each with whether it is the first and the last. */
export function* blocks<T>(
  items: readonly T[],
  size: number,
): Generator<{ block: T[]; first: boolean; last: boolean }> {
  for (let i = 0; i < items.length; i += size)
    yield { block: items.slice(i, i + size), first: i === 0, last: i + size >= items.length };
}

/** SARIF result level for a severity. */
export const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub's security-severity scale: ≥ 9 critical, 7–8.9 high, 4–6.9 medium, < 4 low. */
export const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
};

/**
 * Text for XML 1.0 character data and attribute values: markup characters as entities, and every
 * control, bidi or other character XML forbids or a reader would misread written as a visible escape.
 */
export function xmlEscape(text: string): string {
  return escapeUnsafe(text)
    .replace(/[\ufffe\uffff]/g, (ch) => `\\u{${ch.charCodeAt(0).toString(16)}}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A URI reference for a relative `/`-separated path: every segment percent-encoded. */
/**
 * A raw relative path as a URI reference, byte by byte: the printable path of a name that is
 * not UTF-8 or holds a backslash is not its name, and a URI must name the file itself.
 */
export function uriPathBytes(raw: Buffer): string {
  let out = '';
  for (const byte of raw) {
    const ch = String.fromCharCode(byte);
    out +=
      byte < 0x80 && /[A-Za-z0-9\-_.!~*'()/]/.test(ch)
        ? ch
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function uriPath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** Where a finding is, in words: `log:line: ` for log records, then the path, `!inner` inside archives. Not escaped. */
export function findingPlace(f: Pick<Finding, 'path' | 'innerPath' | 'location'>): string {
  const where = f.location ? `${f.location.file}:${f.location.line}: ` : '';
  return `${where}${f.path}${f.innerPath === undefined ? '' : `!${f.innerPath}`}`;
}
