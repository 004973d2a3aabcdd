/**
 * The remediation journal: one JSON object per line, appended and fsynced before and after each
 * action, so a crash at any point leaves a record of every file that may have moved.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
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
  findings: { ruleId: string; severity: string; message: string }[];
}

export type Intent = MoveIntent | ChmodIntent;

export type Record =
  | { op: 'begin'; run: string; root: string; time: string }
  | Intent
  | { op: 'done'; id: number; how?: 'rename' | 'copy' }
  | { op: 'restored'; id: number; time: string }
  | { op: 'complete'; time: string };

export const JOURNAL = 'journal.jsonl';

export class Journal {
  readonly #fd: number;
  constructor(readonly runDir: string) {
    this.#fd = openSync(join(runDir, JOURNAL), 'a', 0o600);
  }

  /** Append one record and make it durable before returning. */
  append(record: Record): void {
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.#fd);
  }

  close(): void {
    closeSync(this.#fd);
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

export interface JournalState {
  root?: string;
  intents: Intent[];
  done: Set<number>;
  restored: Set<number>;
  complete: boolean;
  nextId: number;
}

export function journalState(records: Record[]): JournalState {
  const state: JournalState = {
    intents: [],
    done: new Set(),
    restored: new Set(),
    complete: false,
    nextId: 1,
  };
  for (const r of records) {
    if (r.op === 'begin') state.root = r.root;
    else if (r.op === 'intent') {
      state.intents.push(r);
      state.nextId = Math.max(state.nextId, r.id + 1);
    } else if (r.op === 'done') state.done.add(r.id);
    else if (r.op === 'restored') state.restored.add(r.id);
    else if (r.op === 'complete') state.complete = true;
  }
  return state;
}
