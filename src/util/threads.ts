/**
 * The project's one worker pool: `scan` and `log` both start, talk to and stop their workers here.
 *
 * Why our own and not piscina or tinypool: our schedulers hand out work through shared memory (a
 * counter the threads claim log parts from, the calling thread too while the workers load; a
 * "hungry" count that makes a busy folder walk give half of its stack away). A task-per-message
 * pool runs every task in a worker and answers each with one message: piscina measured slower
 * and larger on the log path (docs/performance.md, "One worker pool").
 *
 * Threads that cannot start are an error, never a quiet fall back to fewer threads; a worker
 * that fails, or exits before it is released or stopped, fails the whole run.
 */
import { Worker } from 'node:worker_threads';
import { workerModule } from './worker-module.js';

export interface WorkerGroupOptions<Message> {
  /** The worker's module, relative to `from` (a module's import.meta.url). */
  module: string;
  from: string;
  count: number;
  workerData: unknown;
  /** Names the work in errors: "scan worker", "log worker". */
  what: string;
  /**
   * Bound on each worker's young generation (V8 resourceLimits), for work that makes short-lived
   * garbage quickly: V8 otherwise grows it to tens of MiB per thread over a long run.
   */
  youngGenerationMb?: number;
  /** Each message of each worker, with that worker's threadId (so tests can see workers ran). */
  onMessage(message: Message, worker: Worker): void;
  /** The first failure of any worker; called once, after which the group is stopped. */
  onFailure(error: Error): void;
}

export class WorkerGroup<Message> {
  readonly workers: readonly Worker[];
  #stopped = false;
  readonly #released = new Set<Worker>();

  /** Start `count` workers; throws (an InputError) when the worker module is missing. */
  constructor(private readonly options: WorkerGroupOptions<Message>) {
    const url = workerModule(options.module, options.from);
    const workers: Worker[] = [];
    this.workers = workers;
    for (let i = 0; i < options.count; i++) {
      const worker = new Worker(url, {
        workerData: options.workerData,
        ...(options.youngGenerationMb !== undefined && {
          resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb },
        }),
      });
      workers.push(worker);
      worker.on('message', (message: Message) => {
        if (!this.#stopped) options.onMessage(message, worker);
      });
      worker.on('error', (error) => this.#fail(error));
      // Unless released, an exit means work handed to that worker will never be done.
      worker.on('exit', (code) => {
        if (!this.#released.has(worker))
          this.#fail(new Error(`${options.what} stopped (exit code ${code}) before the work was done`));
      });
    }
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** This worker has done all it will: its exit is expected, not a failure. */
  release(worker: Worker): void {
    this.#released.add(worker);
  }

  /** Stop every worker; later messages and exits are ignored. Safe to call more than once. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const worker of this.workers) void worker.terminate();
  }

  #fail(error: Error): void {
    if (this.#stopped) return;
    this.stop();
    this.options.onFailure(error);
  }
}
