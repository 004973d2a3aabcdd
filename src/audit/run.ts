/**
 * One audit pipeline for every source: a run takes a Source (a folder walk, upload logs, later
 * a bucket), lets it audit its items with the run's policy into one Collector, and assembles the
 * report (sorted, summarized, compared with a baseline). Nothing here knows where items come from.
 */
import type { IncrementalSummary, Report, Severity } from '../model/types.js';
import { defaultPolicySet, type PolicySet } from '../policy/policy.js';
import { Collector } from './auditor.js';
import { assembleReport } from './report.js';

/** How far a run has come, for a progress line: what was counted, and where it is. */
export interface Progress {
  counters: Readonly<Collector['counters']>;
  current: string;
}

/** What a source is given for a run. */
export interface RunContext {
  policy: PolicySet;
  /** The run's clock reading, for suppression expiry (the same in every thread). */
  nowMs: number;
  /** Threads the source may use, this one included. */
  threads: number;
  onProgress?: (progress: Progress) => void;
}

/** Where a run's items come from. */
export interface Source {
  /** What the report calls the root (a folder, log files, a bucket). */
  readonly root: string;
  /** Where findings' paths are relative to: the real folder; for logs, the working directory. */
  readonly rootAbsolute: string;
  readonly kind: Report['source'];
  /** After collect: what an incremental run did, for sources that keep a state. */
  readonly incremental?: IncrementalSummary | undefined;
  /** Audit every item with the run's policy (through the one Auditor) into `collector`. */
  collect(run: RunContext, collector: Collector): Promise<void>;
}

export interface RunOptions {
  policy?: PolicySet;
  failOn: Severity | 'none';
  allowUnevaluated: boolean;
  /** Threads, this one included (default 1). */
  concurrency?: number;
  onProgress?: (progress: Progress) => void;
  /** Injectable clock, for reproducible reports in tests. */
  now?: () => Date;
  /** Compare with this earlier report: new, fixed, moved. */
  baseline?: Report;
  /** With a baseline, what --fail-on judges: its new findings only (default), or every finding. */
  judge?: 'new' | 'all';
  /** Set when the source audits one hash partition of what it holds. */
  shard?: { index: number; count: number };
  /** Filled with the threadId of every thread that did work (0: the main thread). */
  threadsUsed?: Set<number>;
}

export async function runAudit(source: Source, options: RunOptions): Promise<Report> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const policy = options.policy ?? defaultPolicySet();
  const collector = new Collector({ repeats: source.kind === 'log' });
  await source.collect(
    {
      policy,
      nowMs: started.getTime(),
      threads: options.concurrency ?? 1,
      ...(options.onProgress && { onProgress: options.onProgress }),
    },
    collector,
  );
  for (const thread of collector.threads) options.threadsUsed?.add(thread);
  return assembleReport({
    ...options,
    root: source.root,
    rootAbsolute: source.rootAbsolute,
    source: source.kind,
    policy,
    started,
    ended: now(),
    counters: collector.counters,
    findings: collector.findings,
    notEvaluated: collector.notEvaluated,
    ...(source.incremental && { incremental: source.incremental }),
  });
}
