/**
 * Shards: `scan --shard K/N` audits a stable hash partition of the tree; `merge` combines the N
 * shard reports into one that is identical, up to timing, to a single run.
 */

import { sortReport, summarize } from '../audit/report.js';
import { addCounters, emptyCounters } from '../model/counters.js';
import type { Report, Severity } from '../model/types.js';
import { InputError, UsageError } from '../util/errors.js';

export interface MergeOptions {
  failOn?: Severity | 'none';
  allowUnevaluated: boolean;
}

export function mergeReports(parts: Report[], options: MergeOptions): Report {
  const first = parts[0];
  if (!first) throw new UsageError('merge needs at least one report');
  const count = first.shard?.count ?? 1;
  const seen = new Set<number>();
  for (const [i, part] of parts.entries()) {
    const where = `report ${i + 1}`;
    if (
      part.root !== first.root ||
      part.policy.digest !== first.policy.digest ||
      part.tool.version !== first.tool.version
    ) {
      throw new InputError(
        `${where} is from another scan (root, policy or version differ): shards must come from the same command`,
      );
    }
    const shard = part.shard ?? { index: 1, count: 1 };
    if (shard.count !== count)
      throw new InputError(`${where} is shard ${shard.index}/${shard.count}, others are of ${count}`);
    if (seen.has(shard.index)) throw new InputError(`shard ${shard.index}/${count} is given twice`);
    seen.add(shard.index);
  }
  // Counted before any are listed: a report may claim a billion shards.
  if (count - parts.length > 10)
    throw new InputError(
      `${count - parts.length} of ${count} shards are missing: merge needs every shard's report`,
    );
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (missing.length > 0)
    throw new InputError(
      `missing shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${count}`).join(', ')}`,
    );

  const findings = parts.flatMap((p) => p.findings);
  const notEvaluated = parts.flatMap((p) => p.notEvaluated);
  sortReport(findings, notEvaluated);
  const counters = emptyCounters();
  // A summary starts with the counters (Summary extends Counters): add its counter fields.
  for (const p of parts) addCounters(counters, p.summary);
  const start = Math.min(...parts.map((p) => Date.parse(p.startedAt)));
  const end = Math.max(...parts.map((p) => Date.parse(p.startedAt) + p.durationMs));
  const usedEverywhere = (by: string) => parts.every((p) => p.suppressions.unused.some((u) => u.by === by));
  const { shard: _shard, comparison: _comparison, ...rest } = first;
  return {
    ...rest,
    startedAt: new Date(start).toISOString(),
    durationMs: end - start,
    summary: summarize({
      counters,
      findings,
      notEvaluated,
      failOn: options.failOn ?? first.summary.failOn,
      allowUnevaluated: options.allowUnevaluated,
    }),
    findings,
    notEvaluated,
    suppressions: {
      expired: first.suppressions.expired,
      unused: first.suppressions.unused.filter((u) => usedEverywhere(u.by)),
    },
  };
}
