import type { DirectoryJob } from './listing.js';
import type { DirectoryResult } from './scanner.js';

/**
 * The messages between the scheduler and its scan workers. Each worker walks the subtree it is
 * given from a stack of its own and streams one result per directory, so it never waits for a
 * round trip between folders; when another thread runs dry, the `hungry` counter (shared memory)
 * asks the busy ones to hand back half of their stacks.
 */
export type ToWorker = { type: 'jobs'; jobs: DirectoryJob[] };

export type FromWorker =
  /** One directory (or slice of one) done; what it left to scan stays on the worker's own stack. */
  | { type: 'result'; path: string; result: DirectoryResult }
  /** Pending directories handed back for idle threads (the main thread scans too). */
  | { type: 'share'; jobs: DirectoryJob[] }
  /** The worker's stack is empty. */
  | { type: 'idle' }
  | { type: 'error'; path: string; error: string };

export interface WorkerData {
  settings: import('./scanner.js').ScanSettings;
  /** Int32Array over a SharedArrayBuffer: [0] = how many threads (the main one included) wait for work. */
  hungry: SharedArrayBuffer;
}
