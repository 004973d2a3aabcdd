/**
 * The dry run: which entries a remediation would change, and why. Pure over a report, so the plan
 * printed is exactly the plan applied.
 */

import { reaches } from '../audit/severity.js';
import { type Counts, countFindings } from '../baseline/compare.js';
import type { Category, Finding, Report, Severity } from '../model/types.js';

type ActionKind = 'quarantine' | 'chmod';

export interface Action {
  kind: ActionKind;
  /** Relative to the root, printable; `pathBase64` holds the raw bytes when not UTF-8. */
  path: string;
  pathBase64?: string;
  /** chmod: which bits to clear (executable 0o111, group/world write 0o022, setuid/setgid 0o6000). */
  clearBits?: number;
  findings: Finding[];
}

export interface PlanOptions {
  minSeverity: Severity;
  /** Only findings of these categories; all when empty. */
  categories: Category[];
}

export interface Plan {
  actions: Action[];
  before: Counts;
  /** Projected: the findings that no action addresses. */
  after: Counts;
  /** Findings left alone, grouped by why. */
  left: { reason: string; findings: Finding[] }[];
}

/** Permission findings a chmod fixes, and the bits it clears. */
const CHMOD_FIXES: Record<string, number> = {
  'permissions/executable': 0o111,
  'permissions/world-writable': 0o022,
  'permissions/setuid': 0o6000,
};

/**
 * Findings a move cannot fix: the thing is not in one place (hard links), or what is wrong is a
 * grant in the bucket's policy or ACLs, not the object (quarantining a public avatar fixes nothing).
 */
const NO_AUTOMATIC_FIX = new Set([
  'permissions/hard-link',
  'permissions/public-read',
  'permissions/public-write',
]);

export function planRemediation(report: Pick<Report, 'findings'>, options: PlanOptions): Plan {
  const active = report.findings.filter((f) => !f.suppressed);
  const selected = active.filter(
    (f) =>
      reaches(f.severity, options.minSeverity) &&
      (options.categories.length === 0 || options.categories.includes(f.category)),
  );
  const byPath = new Map<string, Finding[]>();
  for (const f of selected) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f]);
  const actions: Action[] = [];
  const addressed = new Set<Finding>();
  const unfixable: Finding[] = [];
  for (const [path, findings] of byPath) {
    const movable = findings.filter(
      (f) =>
        !NO_AUTOMATIC_FIX.has(f.ruleId) && CHMOD_FIXES[f.ruleId] === undefined && f.location === undefined,
    );
    const isDirectory = findings.some((f) => f.kind === 'directory');
    const pathBase64 = findings[0]!.pathBase64;
    if (movable.length > 0 && !isDirectory) {
      // Quarantine settles every finding on the entry, permission ones included.
      const all = active.filter((f) => f.path === path);
      actions.push({ kind: 'quarantine', path, ...(pathBase64 !== undefined && { pathBase64 }), findings });
      for (const f of all) addressed.add(f);
      continue;
    }
    const chmods = findings.filter((f) => CHMOD_FIXES[f.ruleId] !== undefined);
    if (chmods.length > 0) {
      const clearBits = chmods.reduce((bits, f) => bits | CHMOD_FIXES[f.ruleId]!, 0);
      actions.push({
        kind: 'chmod',
        path,
        ...(pathBase64 !== undefined && { pathBase64 }),
        clearBits,
        findings: chmods,
      });
      for (const f of chmods) addressed.add(f);
    }
    for (const f of findings) if (!addressed.has(f)) unfixable.push(f);
  }
  actions.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.kind < b.kind ? -1 : 1));
  const remaining = active.filter((f) => !addressed.has(f));
  const selectedSet = new Set(selected);
  const below = remaining.filter((f) => !selectedSet.has(f) && !reaches(f.severity, options.minSeverity));
  const otherCategory = remaining.filter(
    (f) => !selectedSet.has(f) && reaches(f.severity, options.minSeverity),
  );
  const left = [
    { reason: `below --min-severity ${options.minSeverity}`, findings: below },
    { reason: 'category not selected', findings: otherCategory },
    { reason: 'no automatic fix (hard links, public grants, folders, log records)', findings: unfixable },
  ].filter((group) => group.findings.length > 0);
  return { actions, before: countFindings(active), after: countFindings(remaining), left };
}
