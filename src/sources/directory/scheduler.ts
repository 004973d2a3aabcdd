import type { Worker } from 'node:worker_threads';
import type { Collector } from '../../audit/auditor.js';
import type { Progress } from '../../audit/run.js';
import { WorkerGroup } from '../../util/threads.js';
import type { DirectoryJob } from './listing.js';
import type { FromWorker, ToWorker, WorkerData } from './protocol.js';
import { type DirectoryResult, DirectoryScanner, type ScanSettings, type StateLines } from './scanner.js';

export interface ScheduleOptions {
  concurrency: number;
  onProgress?: (progress: Progress) => void;
  /** Each folder's lines for the new state file, in this thread, as results come in. */
  onState?: (state: StateLines) => void;
}

/**
 * Buffers become plain Uint8Arrays when they cross a thread; make them Buffers again. A folder
 * stream never crosses (walkFolders keeps it in its thread).
 */
export function reviveJob(job: DirectoryJob): DirectoryJob {
  const buf = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const revived: DirectoryJob = {
    path: job.path,
    fsPath: typeof job.fsPath === 'string' ? job.fsPath : buf(job.fsPath),
  };
  if (job.rawPath !== undefined) revived.rawPath = buf(job.rawPath);
  if (job.size !== undefined) revived.size = job.size;
  if (job.slice !== undefined) {
    const names = job.slice.names.map((name) => (typeof name === 'string' ? name : buf(name)));
    revived.slice = { names, kinds: job.slice.kinds };
  }
  return revived;
}

/** The folders still to scan, and where the results of every thread go: the run's Collector. */
class Walk {
  readonly pending: DirectoryJob[];
  constructor(
    root: DirectoryJob,
    private readonly collector: Collector,
    private readonly options: Omit<ScheduleOptions, 'concurrency'>,
  ) {
    this.pending = [root];
  }
  /** `thread`: the threadId that scanned it (0, this thread), so tests can see that workers worked. */
  add(path: string, result: DirectoryResult, thread = 0): void {
    // Left only by a scan in this thread (walkFolders takes `more` onto its own stack before it
    // reports): nothing here crossed a thread, and a folder stream must stay as it is.
    for (const next of result.more) this.pending.push(next);
    this.collector.merge(result, thread);
    if (result.state) this.options.onState?.(result.state);
    this.options.onProgress?.({ counters: this.collector.counters, current: path });
  }
}

async function inProcess(settings: ScanSettings, collector: Walk): Promise<void> {
  const scanner = new DirectoryScanner(settings);
  try {
    for (let job = collector.pending.pop(); job; job = collector.pending.pop()) {
      collector.add(job.path, await scanner.scan(job));
    }
  } finally {
    for (const job of collector.pending) job.stream?.close();
  }
}

/**
 * How large each scanning worker's young generation may grow. Reading files makes short-lived
 * buffers and strings quickly; unbounded, V8 grows the young generation of a busy thread to tens
 * of MiB, most of a long scan's peak memory. Small, the scavenges stay cheap (little survives),
 * and the bench showed no loss of speed (docs/performance.md, "Young generation").
 */
const SCAN_YOUNG_GENERATION_MB = 4;

/**
 * Scan with `threads` workers. This thread only hands out folders and collects results: every
 * thread that reads files is a worker, whose young generation can be bounded (this thread's only
 * by a command-line flag). Each worker walks from a stack of its own; when some worker waits,
 * the busy ones hand half of their stacks to the pending list, and idle workers are given those.
 */
function withWorkers(settings: ScanSettings, threads: number, collector: Walk): Promise<void> {
  return new Promise((resolve, reject) => {
    const hungryMemory = new SharedArrayBuffer(4);
    const hungry = new Int32Array(hungryMemory);
    const workerData: WorkerData = { settings, hungry: hungryMemory };
    const idle: Worker[] = [];
    let group: WorkerGroup<FromWorker>;
    const finish = (error?: Error): void => {
      if (group.stopped) return;
      group.stop();
      if (error) reject(error);
      else resolve();
    };
    try {
      group = new WorkerGroup<FromWorker>({
        module: './worker.js',
        from: import.meta.url,
        count: threads,
        workerData,
        what: 'scan worker',
        youngGenerationMb: SCAN_YOUNG_GENERATION_MB,
        onFailure: reject,
        onMessage: (message, worker) => {
          switch (message.type) {
            case 'result':
              collector.add(message.path, message.result, worker.threadId);
              return;
            case 'share':
              for (const job of message.jobs) collector.pending.push(reviveJob(job));
              return dispatch();
            case 'idle':
              idle.push(worker);
              return dispatch();
            case 'error':
              return finish(new Error(`scan worker failed in ${message.path || '.'}: ${message.error}`));
          }
        },
      });
    } catch (error) {
      reject(error);
      return;
    }
    const give = (worker: Worker, jobs: DirectoryJob[]): void => {
      const message: ToWorker = { type: 'jobs', jobs };
      worker.postMessage(message);
    };
    /** Hand pending directories to idle workers; done when every worker is idle with none left. */
    const dispatch = (): void => {
      if (group.stopped) return;
      while (idle.length > 0 && collector.pending.length > 0) give(idle.pop()!, [collector.pending.pop()!]);
      Atomics.store(hungry, 0, idle.length);
      if (idle.length === group.workers.length && collector.pending.length === 0) finish();
    };
    idle.push(...group.workers);
    // The root goes to the first worker; it starts on it as soon as it has loaded.
    dispatch();
  });
}

/** Walk and audit the whole tree below `settings.rootReal`, into `collector`. */
export async function scanTree(
  settings: ScanSettings,
  options: ScheduleOptions,
  collector: Collector,
): Promise<void> {
  const walk = new Walk({ path: '', fsPath: settings.rootReal }, collector, options);
  if (options.concurrency > 1) await withWorkers(settings, options.concurrency, walk);
  else await inProcess(settings, walk);
}
