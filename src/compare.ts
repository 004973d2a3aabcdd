/**
 * Before/after: match two runs' findings into new, fixed, moved and unchanged. A finding matches
 * by fingerprint (rule + path + content); one whose file was renamed with unchanged content
 * matches by rule and content hash, and is reported as moved, not as one new and one fixed.
 */
import { readFileSync } from 'node:fs';
import { errnoCode, InputError } from './errors.js';
import { CATEGORIES, type Category, type Finding, type Report, SEVERITIES, type Severity } from './types.js';

export type Counts = {
  bySeverity: Record<Severity, number>;
  byCategory: Record<Category, number>;
  total: number;
};

export interface Comparison {
  /** What the current run was compared with. */
  baseline: { root: string; startedAt: string; policyDigest: string };
  before: Counts;
  after: Counts;
  new: Finding[];
  fixed: Finding[];
  moved: { from: Finding; to: Finding }[];
  unchanged: number;
}

export function countFindings(findings: readonly Finding[]): Counts {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  let total = 0;
  for (const f of findings) {
    if (f.suppressed) continue;
    bySeverity[f.severity]++;
    byCategory[f.category]++;
    total++;
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
export function loadReport(file: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(
      `cannot read report '${file}': ${errnoCode(error) === 'ENOENT' ? 'no such file' : (errnoCode(error) ?? String(error))}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new InputError(`'${file}' is not a JSON report: ${(error as Error).message}`);
  }
  const report = doc as Partial<Report>;
  if (report?.schemaVersion !== 1 || !Array.isArray(report.findings) || typeof report.summary !== 'object') {
    throw new InputError(
      `'${file}' is not an upload-audit JSON report (schemaVersion 1); write one with --format json`,
    );
  }
  for (const [i, f] of report.findings.entries()) {
    if (
      typeof f?.fingerprint !== 'string' ||
      typeof f.ruleId !== 'string' ||
      !SEVERITIES.includes(f.severity)
    ) {
      throw new InputError(
        `'${file}': findings[${i}] is not a finding (needs fingerprint, ruleId, severity)`,
      );
    }
  }
  return report as Report;
}
