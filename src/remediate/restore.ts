/**
 * Undo a quarantine run: every moved file goes back with its bytes, mode, owner and times, its
 * hash verified; a file that now exists at the original path is a conflict, never overwritten
 * (--force moves the newer file aside, never deletes it). Restores are journaled too.
 */
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, renameSync, utimesSync } from 'node:fs';
import { errnoCode, InputError } from '../errors.js';
import { contentHash, type MoveOps, moveEntry, parentOf, REAL_OPS, writeManifest } from './apply.js';
import { Journal, journalState, type MoveIntent, readJournal } from './journal.js';

export interface RestoreOptions {
  /** Only entries at this relative path or below it. */
  only?: string;
  force: boolean;
  now: Date;
  ops?: MoveOps;
}

export interface RestoreResult {
  restored: number;
  conflicts: { path: string; movedAsideTo?: string }[];
  failed: { path: string; why: string }[];
}

const raw = (base64: string): Buffer => Buffer.from(base64, 'base64');

export function restoreRun(runDir: string, options: RestoreOptions): RestoreResult {
  const state = journalState(readJournal(runDir));
  if (state.root === undefined)
    throw new InputError(`'${runDir}' is not a quarantine run (no journal with a begin record)`);
  const root = state.root;
  const journal = new Journal(runDir);
  const result: RestoreResult = { restored: 0, conflicts: [], failed: [] };
  const wanted = (path: string): boolean =>
    options.only === undefined ||
    path === options.only ||
    path.startsWith(`${options.only.replace(/\/$/, '')}/`);
  try {
    for (const intent of [...state.intents].reverse()) {
      if (!state.done.has(intent.id) || state.restored.has(intent.id) || !wanted(intent.path)) continue;
      const original = Buffer.concat([Buffer.from(`${root}/`), raw(intent.from)]);
      try {
        if (intent.action === 'chmod') {
          if (existsSync(original)) chmodSync(original, intent.oldMode);
        } else {
          const stored = Buffer.concat([Buffer.from(`${runDir}/`), raw(intent.to)]);
          const storedStats = lstatSync(stored);
          if (contentHash(stored, storedStats) !== intent.sha256)
            throw new Error('the quarantined copy no longer matches its recorded hash');
          if (existsSync(original) || isDanglingLink(original)) {
            if (!options.force) {
              result.conflicts.push({ path: intent.path });
              continue;
            }
            const aside = Buffer.concat([
              original,
              Buffer.from(`.upload-audit-conflict-${options.now.getTime()}`),
            ]);
            renameSync(original, aside);
            result.conflicts.push({ path: intent.path, movedAsideTo: aside.toString('utf8') });
          }
          moveEntry(stored, original, storedStats, intent.sha256, options.ops ?? REAL_OPS);
          restoreMetadata(original, intent);
        }
        journal.append({ op: 'restored', id: intent.id, time: options.now.toISOString() });
        result.restored++;
      } catch (error) {
        result.failed.push({
          path: intent.path,
          why: error instanceof Error ? error.message : String(error),
        });
      }
    }
  } finally {
    journal.close();
  }
  writeManifest(runDir);
  return result;
}

function isDanglingLink(path: Buffer): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Put back what a move may have changed, and only that: a rename keeps times to the nanosecond,
 * and rewriting them would lose precision (utimes takes microseconds). The parent folder's times
 * are put back too; restoring in reverse order leaves each folder with its time before the fix.
 */
function restoreMetadata(path: Buffer, intent: MoveIntent): void {
  const stats = lstatSync(path);
  try {
    if (stats.uid !== intent.uid || stats.gid !== intent.gid) {
      if (stats.isSymbolicLink()) lchownSync(path, intent.uid, intent.gid);
      else chownSync(path, intent.uid, intent.gid);
    }
  } catch (error) {
    if (errnoCode(error) !== 'EPERM') throw error;
  }
  if (!stats.isSymbolicLink()) {
    if ((stats.mode & 0o7777) !== (intent.mode & 0o7777)) chmodSync(path, intent.mode & 0o7777);
    if (stats.mtimeMs !== intent.mtimeMs) utimesSync(path, intent.atimeMs / 1000, intent.mtimeMs / 1000);
  }
  if (intent.parentMtimeMs !== undefined) {
    utimesSync(
      parentOf(path),
      (intent.parentAtimeMs ?? intent.parentMtimeMs) / 1000,
      intent.parentMtimeMs / 1000,
    );
  }
}
