/**
 * Applying a plan, crash-safely: each action is journaled (fsynced) before it is done and marked
 * done after. Moves are renames; across filesystems, copy, fsync, verify the hash, then unlink.
 * At every instant each file is in place or in quarantine, and the journal says which may have moved.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { errnoCode, InputError } from '../errors.js';
import { renderMessage } from '../messages.js';
import { writeFileAtomic } from '../output.js';
import type { Finding } from '../types.js';
import {
  type ChmodIntent,
  type Intent,
  Journal,
  journalState,
  type MoveIntent,
  readJournal,
} from './journal.js';
import type { Action, Plan } from './plan.js';

/** The one filesystem call tests replace to simulate another filesystem (EXDEV). */
export interface MoveOps {
  rename(from: Buffer, to: Buffer): void;
}
export const REAL_OPS: MoveOps = { rename: (from, to) => renameSync(from, to) };

const b64 = (bytes: Buffer): string => bytes.toString('base64');
const raw = (base64: string): Buffer => Buffer.from(base64, 'base64');
const under = (dir: string, relBase64: string): Buffer =>
  Buffer.concat([Buffer.from(`${dir}/`), raw(relBase64)]);
/** The parent folder of a raw path (latin1 keeps every byte). */
export const parentOf = (path: Buffer): Buffer => Buffer.from(dirname(path.toString('latin1')), 'latin1');

/** Create QDIR private (0700) and make sure it is neither inside the scanned root nor around it. */
export function prepareQuarantine(rootReal: string, quarantine: string): string {
  try {
    mkdirSync(quarantine, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new InputError(`cannot create quarantine '${quarantine}': ${errnoCode(error) ?? String(error)}`);
  }
  const real = realpathSync(quarantine);
  const inside = (a: string, b: string): boolean => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
  if (inside(real, rootReal))
    throw new InputError(`quarantine '${quarantine}' is inside the scanned folder; it must be outside it`);
  if (inside(rootReal, real)) throw new InputError(`the scanned folder is inside quarantine '${quarantine}'`);
  return real;
}

function fsyncDir(dir: Buffer | string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** sha256 of a regular file (read without following links) or of a symlink's target text. */
export function contentHash(path: Buffer, stats: Stats): string {
  const hash = createHash('sha256');
  if (stats.isSymbolicLink()) return hash.update(readlinkSync(path, { encoding: 'buffer' })).digest('hex');
  if (!stats.isFile()) return hash.digest('hex');
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Copy across filesystems into `to` (via `to.partial`), keeping bytes, mode, owner and times. */
function copyAcross(from: Buffer, to: Buffer, stats: Stats, sha256: string): void {
  const partial = Buffer.concat([to, Buffer.from('.partial')]);
  rmSync(partial, { force: true });
  if (stats.isSymbolicLink()) {
    symlinkSync(readlinkSync(from, { encoding: 'buffer' }), partial);
  } else if (stats.isFile()) {
    const input = openSync(from, constants.O_RDONLY | constants.O_NOFOLLOW);
    const output = openSync(partial, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      const buffer = Buffer.allocUnsafe(1024 * 1024);
      for (let n = readSync(input, buffer); n > 0; n = readSync(input, buffer))
        writeSync(output, buffer, 0, n);
      fchmodSync(output, stats.mode & 0o7777);
      try {
        fchownSync(output, stats.uid, stats.gid);
      } catch {
        // Only root can give files away; the manifest still records the owner.
      }
      futimesSync(output, stats.atime, stats.mtime);
      fsyncSync(output);
    } finally {
      closeSync(input);
      closeSync(output);
    }
  } else {
    throw new Error(`a ${stats.isFIFO() ? 'FIFO' : 'special file'} cannot be copied to another filesystem`);
  }
  if (contentHash(partial, lstatSync(partial)) !== sha256)
    throw new Error('the copy does not match the original (hash differs)');
  renameSync(partial, to);
  // The copy must be durable in its folder before the original is unlinked.
  fsyncDir(parentOf(to));
}

/** Move `from` to `to`: a rename, or across filesystems a verified copy and then an unlink. */
export function moveEntry(
  from: Buffer,
  to: Buffer,
  stats: Stats,
  sha256: string,
  ops: MoveOps,
): 'rename' | 'copy' {
  mkdirSync(parentOf(to), { recursive: true, mode: 0o700 });
  try {
    ops.rename(from, to);
    return 'rename';
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV') throw error;
  }
  copyAcross(from, to, stats, sha256);
  unlinkSync(from);
  return 'copy';
}

const findingNotes = (findings: Finding[]) =>
  findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, message: renderMessage(f) }));

export interface RunHandle {
  runDir: string;
  journal: Journal;
  resumed: boolean;
  recovered: number;
  nextId: number;
}

/** Finish what a crashed run started: each open intent is settled from what is on disk. */
function recoverIntent(
  intent: Intent,
  rootReal: string,
  runDir: string,
  journal: Journal,
  ops: MoveOps,
): void {
  const from = under(rootReal, intent.from);
  if (intent.action === 'chmod') {
    if (existsSync(from)) chmodSync(from, intent.newMode);
    journal.append({ op: 'done', id: intent.id });
    return;
  }
  const to = under(runDir, intent.to);
  rmSync(Buffer.concat([to, Buffer.from('.partial')]), { force: true });
  const atFrom = lstatOrUndefined(from);
  const atTo = lstatOrUndefined(to);
  if (atTo && contentHash(to, atTo) === intent.sha256) {
    if (atFrom) unlinkSync(from); // a verified cross-filesystem copy whose unlink did not happen
    journal.append({ op: 'done', id: intent.id });
  } else if (atFrom) {
    journal.append({ op: 'done', id: intent.id, how: moveEntry(from, to, atFrom, intent.sha256, ops) });
  }
}

function lstatOrUndefined(path: Buffer): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Resume the newest unfinished run (recovering its open intents), or begin a new one. */
export function openRun(quarantine: string, rootReal: string, now: Date, ops: MoveOps = REAL_OPS): RunHandle {
  const runs = readdirSync(quarantine)
    .filter((name) => name.startsWith('run-'))
    .sort();
  for (const name of runs.reverse()) {
    const runDir = join(quarantine, name);
    const state = journalState(readJournal(runDir));
    if (state.complete || state.root !== rootReal) continue;
    const journal = new Journal(runDir);
    const open = state.intents.filter((i) => !state.done.has(i.id));
    for (const intent of open) recoverIntent(intent, rootReal, runDir, journal, ops);
    return { runDir, journal, resumed: true, recovered: open.length, nextId: state.nextId };
  }
  const runDir = join(quarantine, `run-${now.toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(join(runDir, 'files'), { recursive: true, mode: 0o700 });
  const journal = new Journal(runDir);
  journal.append({ op: 'begin', run: runDir, root: rootReal, time: now.toISOString() });
  return { runDir, journal, resumed: false, recovered: 0, nextId: 1 };
}

export interface ApplyResult {
  moved: number;
  bytes: number;
  chmodded: number;
  failed: { path: string; why: string }[];
}

/** Apply every action of the plan in the run, journal first. */
export function applyPlan(
  plan: Plan,
  rootReal: string,
  run: RunHandle,
  ops: MoveOps = REAL_OPS,
): ApplyResult {
  const result: ApplyResult = { moved: 0, bytes: 0, chmodded: 0, failed: [] };
  let id = run.nextId;
  for (const action of plan.actions) {
    const rel = action.pathBase64 ?? b64(Buffer.from(action.path));
    const from = under(rootReal, rel);
    const stats = lstatOrUndefined(from);
    if (!stats) {
      result.failed.push({ path: action.path, why: 'vanished since the scan' });
      continue;
    }
    try {
      if (action.kind === 'chmod') {
        if (!stats.isFile() && !stats.isDirectory()) throw new Error('not a file or folder');
        const intent: ChmodIntent = {
          op: 'intent',
          id: id++,
          action: 'chmod',
          from: rel,
          path: action.path,
          oldMode: stats.mode & 0o7777,
          newMode: stats.mode & 0o7777 & ~action.clearBits!,
          findings: findingNotes(action.findings),
        };
        run.journal.append(intent);
        chmodSync(from, intent.newMode);
        run.journal.append({ op: 'done', id: intent.id });
        result.chmodded++;
      } else {
        if (stats.isDirectory()) throw new Error('folders are not quarantined');
        const intent = moveIntent(
          id++,
          action,
          rel,
          stats,
          contentHash(from, stats),
          lstatSync(parentOf(from)),
        );
        run.journal.append(intent);
        const how = moveEntry(from, under(run.runDir, intent.to), stats, intent.sha256, ops);
        run.journal.append({ op: 'done', id: intent.id, how });
        result.moved++;
        result.bytes += stats.size;
      }
    } catch (error) {
      result.failed.push({ path: action.path, why: error instanceof Error ? error.message : String(error) });
    }
  }
  return result;
}

function moveIntent(
  id: number,
  action: Action,
  rel: string,
  stats: Stats,
  sha256: string,
  parent: Stats,
): MoveIntent {
  return {
    op: 'intent',
    id,
    action: 'quarantine',
    from: rel,
    path: action.path,
    to: b64(Buffer.concat([Buffer.from('files/'), raw(rel)])),
    sha256,
    size: stats.size,
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    atimeMs: stats.atimeMs,
    mtimeMs: stats.mtimeMs,
    parentAtimeMs: parent.atimeMs,
    parentMtimeMs: parent.mtimeMs,
    findings: findingNotes(action.findings),
  };
}

/** Mark the run complete and write its manifest (derived from the journal, so it cannot disagree). */
export function completeRun(run: RunHandle, now: Date): void {
  run.journal.append({ op: 'complete', time: now.toISOString() });
  run.journal.close();
  writeManifest(run.runDir);
}

export function writeManifest(runDir: string): void {
  const state = journalState(readJournal(runDir));
  const entries = state.intents
    .filter((i) => state.done.has(i.id))
    .map((i) => ({ ...i, op: undefined, original: i.path, restored: state.restored.has(i.id) }));
  writeFileAtomic(
    join(runDir, 'manifest.json'),
    `${JSON.stringify({ root: state.root, complete: state.complete, entries }, null, 2)}\n`,
  );
}
