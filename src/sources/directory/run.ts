/** `upload-audit scan`: a folder as a Source, walked by threads of its own. */
import { realpathSync, statSync } from 'node:fs';
import type { Collector } from '../../audit/auditor.js';
import { type RunContext, type RunOptions, runAudit, type Source } from '../../audit/run.js';
import { IncrementalSession } from '../../incremental/session.js';
import type { IncrementalSummary, Report } from '../../model/types.js';
import { errnoCode, InputError } from '../../util/errors.js';
import type { ScanSettings } from './scanner.js';
import type { ScheduleOptions } from './scheduler.js';

export interface ScanOptions extends RunOptions {
  root: string;
  include?: string[];
  exclude?: string[];
  concurrency: number;
  /** Audit only this hash partition of the tree. */
  shard?: { index: number; count: number };
  /** Entries a folder may have and still be listed and sorted before it is scanned. */
  listLimit?: number;
  /** Keep a state file: unchanged files are judged by the verdict stored there, unopened. */
  state?: { file: string; ignoreCtime: boolean; racyMarginMs?: number };
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

/** The entries below a folder: listed without following links, inspected, judged, in threads. */
export class DirectorySource implements Source {
  readonly kind = 'directory';
  readonly root: string;
  readonly rootAbsolute: string;
  incremental: IncrementalSummary | undefined;

  constructor(
    private readonly options: Pick<
      ScanOptions,
      'root' | 'include' | 'exclude' | 'shard' | 'listLimit' | 'state'
    >,
  ) {
    this.root = options.root;
    this.rootAbsolute = realRoot(options.root);
  }

  async collect(run: RunContext, collector: Collector): Promise<void> {
    const { options } = this;
    const settings: ScanSettings = {
      rootReal: this.rootAbsolute,
      policy: run.policy,
      ...(options.shard && { shard: options.shard }),
      ...(options.listLimit !== undefined && { listLimit: options.listLimit }),
      include: options.include ?? [],
      exclude: options.exclude ?? [],
      nowMs: run.nowMs,
    };
    // The scanner (file-type, yauzl, the workers) loads with the first scan, not with the CLI:
    // `log` without --root and the other commands never need it (~40 ms of start-up).
    const { scanTree } = await import('./scheduler.js');
    const schedule: ScheduleOptions = {
      concurrency: run.threads,
      ...(run.onProgress && { onProgress: run.onProgress }),
    };
    if (!options.state) return scanTree(settings, schedule, collector);

    const { file, ignoreCtime, racyMarginMs } = options.state;
    const session = new IncrementalSession({
      file,
      policy: run.policy,
      source: 'directory',
      root: this.rootAbsolute,
      shard: options.shard,
      ignoreCtime,
    });
    const { previous } = session;
    settings.incremental = {
      ignoreCtime,
      ...(racyMarginMs !== undefined && { racyMarginMs }),
      ...(previous.usable && { previous: { table: previous.table, startedMs: previous.header.startedMs } }),
    };
    this.incremental = await session.run(() =>
      scanTree(settings, { ...schedule, onState: (state) => session.add(state.lines, state) }, collector),
    );
  }
}

/** Scan a folder: the directory source through the one audit pipeline. */
export function runScan(options: ScanOptions): Promise<Report> {
  return runAudit(new DirectorySource(options), options);
}
