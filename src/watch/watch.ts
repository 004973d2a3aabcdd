/**
 * `upload-audit watch DIR`: each new or changed file audited as it lands, once it has stopped
 * changing for a moment, by the same Auditor and policy as `scan`.
 *
 * inotify drops events when its queue overflows, and says nothing to the watcher library (a
 * burst of 3,000 files with a small queue delivered 2,693 events and no error). So the watcher
 * is not trusted to be complete: after every burst, on every watcher error, and every
 * `reconcileMs`, the tree is walked and every file whose size, mtime or inode differs from what
 * was audited is audited now, and the run says how many the watcher missed.
 */
import { type Dirent, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { AsyncSubscription } from '@parcel/watcher';
import { DailyAuditor } from '../audit/auditor.js';
import type { Finding, NotEvaluated } from '../model/types.js';
import type { PolicySet } from '../policy/policy.js';
import { auditPath } from '../sources/directory/one.js';
import { InputError } from '../util/errors.js';

export interface WatchOptions {
  root: string;
  policy: PolicySet;
  /** A file is audited once it has had no event for this long. */
  settleMs: number;
  /** The tree is walked for missed files this often (and after bursts and watcher errors). */
  reconcileMs: number;
  /** Events within one settle period that make a burst (a reconcile follows it). */
  burstEvents?: number;
  /** Audits at once. */
  concurrency?: number;
  /**
   * No filesystem events, only the walk every reconcileMs: for network and FUSE mounts, whose
   * changes made elsewhere inotify never sees.
   */
  poll?: boolean;
  /** Each audited file's outcome. */
  onAudited(path: string, findings: Finding[], notEvaluated: NotEvaluated | undefined): void;
  /** A line for the operator (stderr). */
  onNote(line: string): void;
}

/** What a file was when it was audited: a change of any of these is a new file to audit. */
const keyOf = (path: string): string | undefined => {
  try {
    const s = lstatSync(path);
    return s.isFile() ? `${s.ino}:${s.size}:${s.mtimeMs}` : undefined;
  } catch {
    return undefined;
  }
};

/** Folders below `root`, itself included: each needs one inotify watch. */
function folders(root: string): number {
  let count = 1;
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries)
      if (e.isDirectory()) {
        count++;
        walk(join(dir, e.name));
      }
  };
  walk(root);
  return count;
}

/** Refuse to start when the system cannot watch every folder: events would be lost silently. */
function checkWatchLimit(root: string): void {
  let limit: number;
  try {
    limit = Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8'));
  } catch {
    return; // not Linux: the platform's own watcher has no such limit to check
  }
  const needed = folders(root);
  if (needed > limit)
    throw new InputError(
      `watching '${root}' needs ${needed} inotify watches (one per folder), and fs.inotify.max_user_watches is ${limit}: raise it (sysctl fs.inotify.max_user_watches=${needed * 2})`,
    );
}

export class UploadWatcher {
  readonly rootReal: string;
  /** What each audited file was (path relative to the root → its key). */
  readonly audited = new Map<string, string>();
  #auditors: DailyAuditor;
  #subscription: AsyncSubscription | undefined;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #queue: string[] = [];
  /** Paths waiting in the queue or being audited: a reconcile does not count them as missed. */
  readonly #pending = new Set<string>();
  #running = 0;
  #eventsSinceSettle = 0;
  /** Every event so far, to tell whether any came during a wait. */
  #eventCount = 0;
  #reconcileTimer: NodeJS.Timeout | undefined;
  #reconciling: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly options: WatchOptions) {
    this.rootReal = realpathSync(options.root);
    this.#auditors = new DailyAuditor(options.policy);
  }

  /** Take a new policy for the files audited from now on. */
  reload(policy: PolicySet): void {
    this.#auditors = new DailyAuditor(policy);
  }

  /** Watch, and audit what is already there (a watch starts with a full reconcile). */
  async start(): Promise<void> {
    if (!this.options.poll) await this.#subscribe();
    this.#reconcileTimer = setInterval(() => void this.reconcile('periodic'), this.options.reconcileMs);
    await this.reconcile('at start');
  }

  async #subscribe(): Promise<void> {
    checkWatchLimit(this.rootReal);
    // Loaded here, not at start: a native module every other command would carry for nothing.
    const { default: watcher } = await import('@parcel/watcher');
    this.#subscription = await watcher.subscribe(this.rootReal, (error, events) => {
      if (error) {
        this.options.onNote(`the watcher reported: ${error.message}; looking for what it may have missed`);
        void this.reconcile('after a watcher error');
        return;
      }
      for (const event of events) {
        if (event.type === 'delete') {
          this.#forget(event.path);
          continue;
        }
        this.#eventsSinceSettle++;
        this.#eventCount++;
        this.#schedule(event.path);
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#reconcileTimer);
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await this.#subscription?.unsubscribe();
    await this.#reconciling;
  }

  /** Whether no audit is waiting or running. */
  get idle(): boolean {
    return this.#timers.size === 0 && this.#queue.length === 0 && this.#running === 0 && !this.#reconciling;
  }

  #relative(path: string): string {
    return relative(this.rootReal, path).split(sep).join('/');
  }

  #forget(path: string): void {
    const rel = this.#relative(path);
    clearTimeout(this.#timers.get(rel));
    this.#timers.delete(rel);
    // A deleted file is one key; only a deleted folder (not a key itself) needs the walk over
    // every audited path, which a burst of deleted files would otherwise repeat per file.
    if (this.audited.delete(rel)) return;
    const below = `${rel}/`;
    for (const key of this.audited.keys()) if (key.startsWith(below)) this.audited.delete(key);
  }

  /** Audit `path` once it has had no event for settleMs. */
  #schedule(path: string): void {
    const rel = this.#relative(path);
    if (rel === '' || rel.startsWith('..')) return;
    clearTimeout(this.#timers.get(rel));
    this.#timers.set(
      rel,
      setTimeout(() => {
        this.#timers.delete(rel);
        this.#enqueue(rel);
        this.#afterBurst();
      }, this.options.settleMs),
    );
  }

  /**
   * When the events of a burst have settled (no event for another settle period, so none is
   * still on its way), look for files the watcher did not report.
   */
  #afterBurst(): void {
    if (this.#timers.size > 0 || this.#eventsSinceSettle < (this.options.burstEvents ?? 256)) return;
    const seen = this.#eventCount;
    setTimeout(() => {
      if (this.#eventCount !== seen || this.#timers.size > 0) return; // still landing: a later settle decides
      this.#eventsSinceSettle = 0;
      void this.reconcile('after a burst of events');
    }, this.options.settleMs);
  }

  #enqueue(rel: string): void {
    if (this.#stopped || this.#pending.has(rel)) return;
    this.#pending.add(rel);
    this.#queue.push(rel);
    this.#pump();
  }

  #pump(): void {
    const limit = this.options.concurrency ?? 8;
    while (this.#running < limit && this.#queue.length > 0) {
      const rel = this.#queue.shift()!;
      this.#running++;
      void this.#audit(rel).finally(() => {
        this.#pending.delete(rel);
        this.#running--;
        this.#pump();
      });
    }
  }

  async #audit(rel: string): Promise<void> {
    const full = join(this.rootReal, rel);
    let kind: 'file' | 'directory' | 'other' | undefined;
    try {
      const s = lstatSync(full);
      kind = s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
    } catch {
      return; // gone before its turn: nothing landed
    }
    // A folder moved in whole: its files came with it, without events of their own.
    if (kind === 'directory') {
      for (const name of readdirSync(full)) this.#enqueue(`${rel}/${name}`);
      return;
    }
    const key = keyOf(full);
    if (key !== undefined && this.audited.get(rel) === key) return; // already judged as it is
    const { findings, notEvaluated } = await auditPath(this.rootReal, rel, this.#auditors.current);
    if (key !== undefined) this.audited.set(rel, key);
    this.options.onAudited(rel, findings, notEvaluated);
  }

  /** Walk the tree and audit every file that is new or changed since it was audited. */
  reconcile(why: string): Promise<void> {
    if (this.#reconciling || this.#stopped) return this.#reconciling ?? Promise.resolve();
    this.#reconciling = (async () => {
      let missed = 0;
      const walk = (dir: string): void => {
        let entries: Dirent[];
        try {
          entries = readdirSync(join(this.rootReal, dir), { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          const rel = dir === '' ? e.name : `${dir}/${e.name}`;
          if (e.isDirectory()) walk(rel);
          else if (e.isFile() && !this.#timers.has(rel) && !this.#pending.has(rel)) {
            const key = keyOf(join(this.rootReal, rel));
            if (key !== undefined && this.audited.get(rel) !== key) {
              missed++;
              this.#enqueue(rel);
            }
          }
        }
      };
      walk('');
      if (missed > 0 && why !== 'at start')
        this.options.onNote(
          this.options.poll
            ? `${why}: ${missed} new or changed file(s) found, audited now`
            : `${why}: ${missed} new or changed file(s) the watcher had not reported, audited now`,
        );
    })().finally(() => {
      this.#reconciling = undefined;
    });
    return this.#reconciling;
  }
}
