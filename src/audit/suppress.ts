import picomatch from 'picomatch';
import type { Finding, SuppressionNote } from '../model/types.js';
import type { Suppression } from '../policy/policy.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A suppression with `expires: 2026-12-31` suppresses through the end of that day, UTC. */
export function isExpired(suppression: Pick<Suppression, 'expires'>, nowMs: number): boolean {
  return (
    suppression.expires !== undefined && nowMs >= Date.parse(`${suppression.expires}T00:00:00Z`) + DAY_MS
  );
}

/** How reports name a suppression: its place in the policy file. */
const suppressionId = (s: Pick<Suppression, 'index'>): string => `suppressions[${s.index}]`;

function noteFor(s: Suppression): SuppressionNote {
  return {
    by: suppressionId(s),
    rule: s.rule,
    reason: s.reason,
    ...(s.expires !== undefined && { expires: s.expires }),
  };
}

/** Marks findings that an active suppression accepts. Marks, never drops. */
export class Suppressor {
  readonly #active: { s: Suppression; matchPath?: (path: string) => boolean }[];

  constructor(suppressions: readonly Suppression[], nowMs: number) {
    this.#active = suppressions
      .filter((s) => !isExpired(s, nowMs))
      .map((s) => ({ s, ...(s.paths && { matchPath: picomatch(s.paths, { dot: true }) }) }));
  }

  apply(finding: Finding): void {
    for (const { s, matchPath } of this.#active) {
      if (s.rule !== finding.ruleId && s.rule !== finding.category) continue;
      const byPath = matchPath?.(finding.path) === true;
      const byContent = s.sha256 !== undefined && s.sha256 === finding.sha256;
      if (!byPath && !byContent) continue;
      finding.suppressed = {
        by: suppressionId(s),
        reason: s.reason,
        ...(s.expires !== undefined && { expires: s.expires }),
      };
      return;
    }
  }
}

/** Expired suppressions, and active ones no finding used. */
export function suppressionReport(
  suppressions: readonly Suppression[],
  findings: readonly Finding[],
  nowMs: number,
): { expired: SuppressionNote[]; unused: SuppressionNote[] } {
  const used = new Set(findings.map((f) => f.suppressed?.by).filter((by) => by !== undefined));
  const expired = suppressions.filter((s) => isExpired(s, nowMs));
  const unused = suppressions.filter((s) => !isExpired(s, nowMs) && !used.has(suppressionId(s)));
  return { expired: expired.map(noteFor), unused: unused.map(noteFor) };
}
