import type { Finding, Report, Severity } from '../model/types.js';

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** True when `severity` is at or above `threshold`; nothing reaches the threshold `none`. */
export function reaches(severity: Severity, threshold: Severity | 'none'): boolean {
  return threshold !== 'none' && RANK[severity] >= RANK[threshold];
}

/**
 * The report as `--severity LEVEL` shows it: findings (and the new, fixed and moved ones of a
 * comparison) at or above LEVEL; the summary still counts the whole run, and `view` says how
 * many were left out, so nobody mistakes the view for the run.
 */
export function atOrAbove(report: Report, level: Severity): Report {
  const keep = (f: Finding): boolean => reaches(f.severity, level);
  const findings = report.findings.filter(keep);
  const comparison = report.comparison && {
    ...report.comparison,
    new: report.comparison.new.filter(keep),
    fixed: report.comparison.fixed.filter(keep),
    moved: report.comparison.moved.filter((m) => keep(m.to)),
  };
  return {
    ...report,
    findings,
    ...(comparison && { comparison }),
    view: { severity: level, hidden: report.findings.length - findings.length },
  };
}

/** Most severe first. */
export function compareSeverityDesc(a: Severity, b: Severity): number {
  return RANK[b] - RANK[a];
}
