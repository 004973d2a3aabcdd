import { realpathSync, statSync } from 'node:fs';
import { assembleReport } from '../../audit/report.js';
import type { Report, Severity } from '../../model/types.js';
import { defaultPolicySet, type PolicySet } from '../../policy/policy.js';
import { errnoCode, InputError } from '../../util/errors.js';
import type { Progress } from './scheduler.js';

export interface ScanOptions {
  root: string;
  policy?: PolicySet;
  include?: string[];
  exclude?: string[];
  failOn: Severity | 'none';
  allowUnevaluated: boolean;
  concurrency: number;
  onProgress?: (progress: Progress) => void;
  /** Injectable clock, for reproducible reports in tests. */
  now?: () => Date;
  /** Compare with this earlier report: new, fixed, moved; --fail-on judges new findings only. */
  baseline?: Report;
  /** Audit only this hash partition of the tree. */
  shard?: { index: number; count: number };
  /** Entries a folder may have and still be listed and sorted before it is scanned. */
  listLimit?: number;
  /** Filled with the threadId of every thread that scanned something (0: the main thread). */
  threadsUsed?: Set<number>;
}

/** The real path of a root to scan, or an InputError naming what is wrong with it. */
export function realRoot(root: string): string {
  let real: string;
  try {
    real = realpathSync(root);
    if (!statSync(real).isDirectory()) throw new InputError(`cannot scan '${root}': not a directory`);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = errnoCode(error);
    const why =
      code === 'ENOENT'
        ? 'no such directory'
        : code === 'EACCES'
          ? 'permission denied'
          : (code ?? 'unreadable');
    throw new InputError(`cannot scan '${root}': ${why}`);
  }
  return real;
}

/** source → inspect → rules → evaluate → report. */
export async function runScan(options: ScanOptions): Promise<Report> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const policy = options.policy ?? defaultPolicySet();
  const rootReal = realRoot(options.root);
  const settings = {
    rootReal,
    policy,
    ...(options.shard && { shard: options.shard }),
    ...(options.listLimit !== undefined && { listLimit: options.listLimit }),
    include: options.include ?? [],
    exclude: options.exclude ?? [],
    nowMs: started.getTime(),
  };
  const schedule = {
    concurrency: options.concurrency,
    ...(options.onProgress && { onProgress: options.onProgress }),
  };
  // The scanner (file-type, yauzl, the workers) loads with the first scan, not with the CLI:
  // `log` without --root and the other commands never need it (~40 ms of start-up).
  const { scanTree } = await import('./scheduler.js');
  const { findings, notEvaluated, counters, threads } = await scanTree(settings, schedule);
  for (const thread of threads) options.threadsUsed?.add(thread);
  return assembleReport({
    ...options,
    rootAbsolute: rootReal,
    source: 'directory',
    policy,
    started,
    ended: now(),
    counters,
    findings,
    notEvaluated,
  });
}
