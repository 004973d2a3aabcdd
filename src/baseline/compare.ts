/**
 * Before/after: match two runs' findings into new, fixed, moved and unchanged. A finding matches
 * by fingerprint (rule + path + content); one whose file was renamed with unchanged content
 * matches by rule and content hash, and is reported as moved, not as one new and one fixed.
 */

import {
  CATEGORIES,
  type Category,
  type Comparison,
  type Counts,
  type Finding,
  type Report,
  SEVERITIES,
  type Severity,
} from '../model/types.js';
import { reportProblem } from '../reporters/report-schema.js';
import { InputError } from '../util/errors.js';
import { escapeUnsafe } from '../util/escape.js';

export type { Comparison, Counts };

import { readInputFile } from '../util/read-input.js';

export function countFindings(findings: readonly Finding[]): Counts {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  let total = 0;
  for (const f of findings) {
    if (f.suppressed) continue;
    const count = f.count ?? 1;
    bySeverity[f.severity] += count;
    byCategory[f.category] += count;
    total += count;
  }
  return { bySeverity, byCategory, total };
}

const contentKey = (f: Finding): string | undefined =>
  f.sha256 === undefined ? undefined : `${f.ruleId}\0${f.innerPath ?? ''}\0${f.sha256}`;

/** Pure: the same two reports always compare the same way. */
export function compareFindings(
  baseline: Pick<Report, 'root' | 'startedAt' | 'policy' | 'findings'>,
  current: readonly Finding[],
): Comparison {
  const old = baseline.findings.filter((f) => !f.suppressed);
  const now = current.filter((f) => !f.suppressed);
  const oldByPrint = new Map<string, Finding[]>();
  for (const f of old) oldByPrint.set(f.fingerprint, [...(oldByPrint.get(f.fingerprint) ?? []), f]);
  let unchanged = 0;
  const unmatched: Finding[] = [];
  for (const f of now) {
    const same = oldByPrint.get(f.fingerprint);
    if (same && same.length > 0) {
      same.pop();
      unchanged++;
    } else unmatched.push(f);
  }
  const leftOld = [...oldByPrint.values()].flat();
  const oldByContent = new Map<string, Finding[]>();
  for (const f of leftOld) {
    const key = contentKey(f);
    if (key) oldByContent.set(key, [...(oldByContent.get(key) ?? []), f]);
  }
  const moved: { from: Finding; to: Finding }[] = [];
  const fresh: Finding[] = [];
  for (const f of unmatched) {
    const key = contentKey(f);
    const from = key === undefined ? undefined : oldByContent.get(key)?.pop();
    if (from) moved.push({ from, to: f });
    else fresh.push(f);
  }
  const movedFrom = new Set(moved.map((m) => m.from));
  return {
    baseline: {
      root: baseline.root,
      startedAt: baseline.startedAt,
      policyDigest: baseline.policy?.digest ?? '',
    },
    before: countFindings(old),
    after: countFindings(now),
    new: fresh,
    fixed: leftOld.filter((f) => !movedFrom.has(f)),
    moved,
    unchanged,
  };
}

/** Read a report written by `--format json`; anything else is bad input, named in one line. */
/** A JSON report can hold a million findings; past this it could not be parsed anyway. */
const MAX_REPORT_BYTES = 512 * 1024 * 1024;

/** Read a report written with --format json, checked against its schema before any use. */
export function loadReport(file: string): Report {
  const text = readInputFile(file, 'report', MAX_REPORT_BYTES);
  const name = escapeUnsafe(file);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new InputError(`'${name}' is not a JSON report: ${escapeUnsafe((error as Error).message)}`);
  }
  if ((doc as Partial<Report> | null)?.schemaVersion !== 1 || typeof doc !== 'object') {
    throw new InputError(
      `'${name}' is not an upload-audit JSON report (schemaVersion 1); write one with --format json`,
    );
  }
  const problem = reportProblem(doc);
  if (problem !== undefined)
    throw new InputError(`'${name}' is not a valid upload-audit report: ${escapeUnsafe(problem)}`);
  return doc as Report;
}
