/**
 * The remediation journal: one JSON object per line, appended and fsynced before and after each
 * action, so a crash at any point leaves a record of every file that may have moved.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export interface MoveIntent {
  op: 'intent';
  id: number;
  action: 'quarantine';
  /** Raw relative path bytes, base64; `path` is the printable form. */
  from: string;
  path: string;
  /** Where it goes, relative to the run folder (raw bytes, base64). */
  to: string;
  sha256: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  atimeMs: number;
  mtimeMs: number;
  /** Which inode was moved, and how many names it had: a hard link copied across filesystems is rejoined on restore. */
  dev?: number;
  ino?: number;
  nlink?: number;
  /** The parent folder's times before the move, restored with the file. */
  parentAtimeMs?: number;
  parentMtimeMs?: number;
  findings: { ruleId: string; severity: string; message: string }[];
}

export interface ChmodIntent {
  op: 'intent';
  id: number;
  action: 'chmod';
  from: string;
  path: string;
  oldMode: number;
  newMode: number;
  /** The inode changed: restore puts the old mode back only on this very inode. */
  dev?: number;
  ino?: number;
  findings: { ruleId: string; severity: string; message: string }[];
}

export type Intent = MoveIntent | ChmodIntent;

/** What every intent has: the journal's state is folded the same way for files and for objects. */
export interface AnyIntent {
  op: 'intent';
  id: number;
  path: string;
}

export type Record<I extends AnyIntent = Intent> =
  | { op: 'begin'; run: string; root: string; time: string }
  | I
  /**
   * `sha256`: what was really stored, when the entry changed between its hash and its move.
   * `etag`: the quarantined copy of a bucket object, as the store tagged it.
   */
  | { op: 'done'; id: number; how?: 'rename' | 'copy'; sha256?: string; etag?: string }
  /** The action did not happen (the entry is where it was): never retried, never restored. */
  | { op: 'failed'; id: number; why: string }
  /** A restore of this entry began: a copy it left half-written may be removed. */
  | { op: 'restoring'; id: number }
  | { op: 'restored'; id: number; time: string }
  | { op: 'complete'; time: string };

const JOURNAL = 'journal.jsonl';

export class Journal {
  #fd: number | undefined;
  /**
   * The last line is torn: a write failed part-way (a full disk), or the process that wrote it
   * was killed mid-write (a kill can cut a write at a page boundary of the file). The next
   * record starts on a line of its own, so the torn line cannot swallow it.
   */
  #torn = false;
  constructor(readonly runDir: string) {
    this.#fd = openSync(join(runDir, JOURNAL), 'a+', 0o600);
    const size = fstatSync(this.#fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.#fd, last, 0, 1, size - 1);
      this.#torn = last[0] !== 0x0a;
    }
  }

  /** Append one record and make it durable before returning. */
  append(record: Record): void {
    if (this.#fd === undefined) throw new Error('the journal is closed');
    const line = `${this.#torn ? '\n' : ''}${JSON.stringify(record)}\n`;
    try {
      writeSync(this.#fd, line);
      fsyncSync(this.#fd);
      this.#torn = false;
    } catch (error) {
      this.#torn = true;
      throw error;
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Every complete record of a journal; a torn last line (a crash mid-write) is ignored. */
export function readJournal(runDir: string): Record[] {
  const file = join(runDir, JOURNAL);
  if (!existsSync(file)) return [];
  const out: Record[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Record);
    } catch {
      // Only the last line can be torn: everything before it was fsynced whole.
    }
  }
  return out;
}

export interface JournalState<I extends AnyIntent = Intent> {
  root?: string;
  intents: I[];
  /** The `etag` of each done record that has one. */
  etags: Map<number, string>;
  done: Set<number>;
  failed: Set<number>;
  restoring: Set<number>;
  restored: Set<number>;
  complete: boolean;
  nextId: number;
}

export function journalState<I extends AnyIntent = Intent>(records: Record<I>[]): JournalState<I> {
  const state: JournalState<I> = {
    intents: [],
    etags: new Map(),
    done: new Set(),
    failed: new Set(),
    restoring: new Set(),
    restored: new Set(),
    complete: false,
    nextId: 1,
  };
  for (const r of records) {
    if (r.op === 'begin') state.root = r.root;
    else if (r.op === 'intent') {
      state.intents.push(r);
      state.nextId = Math.max(state.nextId, r.id + 1);
    } else if (r.op === 'done') {
      state.done.add(r.id);
      if (r.etag !== undefined) state.etags.set(r.id, r.etag);
      const intent = r.sha256 === undefined ? undefined : state.intents.find((i) => i.id === r.id);
      if (intent && 'sha256' in intent) intent.sha256 = r.sha256!;
    } else if (r.op === 'failed') state.failed.add(r.id);
    else if (r.op === 'restoring') state.restoring.add(r.id);
    else if (r.op === 'restored') state.restored.add(r.id);
    else if (r.op === 'complete') state.complete = true;
  }
  return state;
}

/** The manifest of a run: what it moved and where each is now, derived from the journal so the two cannot disagree. */
export function manifestOf<I extends AnyIntent>(state: JournalState<I>): string {
  const entries = state.intents
    .filter((i) => state.done.has(i.id))
    .map((i) => ({ ...i, op: undefined, original: i.path, restored: state.restored.has(i.id) }));
  return `${JSON.stringify({ root: state.root, complete: state.complete, entries }, null, 2)}\n`;
}

/**
 * What a restore puts back, newest first: every intent neither failed nor restored already, at
 * `only` or below it when given (a path relative to the scanned root).
 */
export function toRestore<I extends AnyIntent>(state: JournalState<I>, only?: string): I[] {
  const wanted = (path: string): boolean =>
    only === undefined || path === only || path.startsWith(`${only.replace(/\/$/, '')}/`);
  return [...state.intents]
    .reverse()
    .filter((i) => !state.failed.has(i.id) && !state.restored.has(i.id) && wanted(i.path));
}
