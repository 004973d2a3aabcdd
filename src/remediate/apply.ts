/**
 * Applying a plan, crash-safely: each action is journaled (fsynced) before it is done and marked
 * done after. Moves are renames; across filesystems, copy, fsync, verify the hash, then unlink.
 * At every instant each file is in place or in quarantine, and the journal says which may have moved.
 *
 * Entries are reached through `util/confined.ts`: every folder below the root is opened without
 * following a symlink, and a file is changed only through a handle that was checked to be the
 * inode the plan was made for, so a swapped-in symlink or FIFO can neither redirect nor stall us.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  futimesSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statfsSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { writeFileAtomic } from '../cli/output.js';
import type { Finding } from '../model/types.js';
import { renderMessage } from '../rules/messages.js';
import { entryKindOf } from '../sources/directory/entry.js';
import {
  ConfinementError,
  type Folder,
  LEAF_FLAGS,
  openFolder,
  openLeaf,
  sameInode,
  splitLast,
} from '../util/confined.js';
import { errnoCode, InputError } from '../util/errors.js';
import {
  type ChmodIntent,
  type Intent,
  Journal,
  journalState,
  type MoveIntent,
  manifestOf,
  readJournal,
} from './journal.js';
import { type Lock, lockQuarantine } from './lock.js';
import type { Action, Plan } from './plan.js';
/** The one filesystem call tests replace to simulate another filesystem (EXDEV). */
export interface MoveOps {
  rename(from: Buffer, to: Buffer): void;
}
export const REAL_OPS: MoveOps = { rename: (from, to) => renameSync(from, to) };

const b64 = (bytes: Buffer): string => bytes.toString('base64');
export const raw = (base64: string): Buffer => Buffer.from(base64, 'base64');
export const under = (dir: string, relBase64: string): Buffer =>
  Buffer.concat([Buffer.from(`${dir}/`), raw(relBase64)]);
/** The parent folder of a raw path (latin1 keeps every byte). */
const parentOf = (path: Buffer): Buffer => Buffer.from(dirname(path.toString('latin1')), 'latin1');

/** Filesystems that are views of the kernel, not storage: nothing can be kept there. */
const PSEUDO_FILESYSTEMS = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */, 0x1cd1 /* devpts */]);

/**
 * Check a quarantine folder: a real folder, neither inside the scanned root nor around it, not
 * on /proc or /sys. With `create` (an apply) it is made private (0700); a dry run changes nothing,
 * so a quarantine that does not exist yet is judged by where it would be made.
 */
export function prepareQuarantine(rootReal: string, quarantine: string, create = true): string {
  let existing = quarantine;
  let missing = '';
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || dirname(existing) === existing)
        throw new InputError(`cannot use quarantine '${quarantine}': ${errnoCode(error) ?? String(error)}`);
      missing = join(existing.slice(dirname(existing).length + 1), missing);
      existing = dirname(existing);
    }
  }
  const existingReal = realpathSync(existing);
  let fsType: number;
  try {
    fsType = Number(statfsSync(existingReal).type);
  } catch (error) {
    throw new InputError(`cannot use quarantine '${quarantine}': ${errnoCode(error) ?? String(error)}`);
  }
  if (PSEUDO_FILESYSTEMS.has(fsType))
    throw new InputError(
      `quarantine '${quarantine}' is on a kernel filesystem (/proc, /sys); choose a real folder`,
    );
  const real = missing === '' ? existingReal : join(existingReal, missing);
  const inside = (a: string, b: string): boolean => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
  if (inside(real, rootReal))
    throw new InputError(`quarantine '${quarantine}' is inside the scanned folder; it must be outside it`);
  if (inside(rootReal, real)) throw new InputError(`the scanned folder is inside quarantine '${quarantine}'`);
  if (missing === '' && !lstatSync(existingReal).isDirectory())
    throw new InputError(`quarantine '${quarantine}' is not a folder`);
  if (!create) return real;
  try {
    mkdirSync(real, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new InputError(`cannot create quarantine '${quarantine}': ${errnoCode(error) ?? String(error)}`);
  }
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

/** sha256 of what an open regular file holds. */
function hashHandle(fd: number): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  return hash.digest('hex');
}

/**
 * sha256 of a regular file (read without following links or waiting on a FIFO swapped in), of a
 * symlink's target text, or of nothing for other kinds.
 */
export function contentHash(path: Buffer, stats: Stats): string {
  if (stats.isSymbolicLink())
    return createHash('sha256')
      .update(readlinkSync(path, { encoding: 'buffer' }))
      .digest('hex');
  if (!stats.isFile()) return createHash('sha256').digest('hex');
  const fd = openSync(path, LEAF_FLAGS);
  try {
    if (!sameInode(fstatSync(fd), stats)) throw new Error('it changed while it was being read');
    return hashHandle(fd);
  } finally {
    closeSync(fd);
  }
}

/** A full disk or quota: no later action can succeed either. */
export const isDiskFull = (error: unknown): boolean => ['ENOSPC', 'EDQUOT'].includes(errnoCode(error) ?? '');

/** Copy across filesystems into `to` (via `to.partial`), keeping bytes, mode, owner and times. */
function copyAcross(from: Buffer, to: Buffer, stats: Stats, sha256: string): void {
  const partial = Buffer.concat([to, Buffer.from('.partial')]);
  rmSync(partial, { force: true });
  try {
    if (stats.isSymbolicLink()) {
      symlinkSync(readlinkSync(from, { encoding: 'buffer' }), partial);
      try {
        lchownSync(partial, stats.uid, stats.gid);
      } catch {
        // Only root can give links away; the manifest still records the owner.
      }
      lutimesSync(partial, stats.atime, stats.mtime);
    } else if (stats.isFile()) {
      copyFile(from, partial, stats);
    } else {
      throw new Error(`a ${kindName(stats)} cannot be copied to another filesystem`);
    }
    if (contentHash(partial, lstatSync(partial)) !== sha256)
      throw new Error('the copy does not match the original (hash differs)');
    renameSync(partial, to);
  } catch (error) {
    // Nothing half-written stays behind, whatever failed (a full disk included).
    rmSync(partial, { force: true });
    throw error;
  }
  // The copy must be durable in its folder before the original is unlinked.
  fsyncDir(parentOf(to));
}

function copyFile(from: Buffer, to: Buffer, stats: Stats): void {
  const input = openSync(from, LEAF_FLAGS);
  try {
    if (!sameInode(fstatSync(input), stats)) throw new Error('it changed while it was being copied');
    const output = openSync(to, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      const buffer = Buffer.allocUnsafe(1024 * 1024);
      for (let n = readSync(input, buffer); n > 0; n = readSync(input, buffer)) {
        // A short write is how a filling disk begins; the next write then says ENOSPC.
        for (let done = 0; done < n; ) done += writeSync(output, buffer, done, n - done);
      }
      fchmodSync(output, stats.mode & 0o7777);
      try {
        fchownSync(output, stats.uid, stats.gid);
      } catch {
        // Only root can give files away; the manifest still records the owner.
      }
      futimesSync(output, stats.atime, stats.mtime);
      fsyncSync(output);
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
}

function kindName(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isDirectory()) return 'folder';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isBlockDevice() || stats.isCharacterDevice()) return 'device';
  return 'file';
}

/**
 * Move `from` to `to` (whose folder exists): a rename, or across filesystems a verified copy and
 * then an unlink. When it throws, `from` is still in place and nothing is left at `to`.
 */
export function moveEntry(
  from: Buffer,
  to: Buffer,
  stats: Stats,
  sha256: string,
  ops: MoveOps,
): 'rename' | 'copy' {
  try {
    ops.rename(from, to);
    return 'rename';
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV') throw error;
  }
  copyAcross(from, to, stats, sha256);
  try {
    unlinkSync(from);
  } catch (error) {
    rmSync(to, { force: true });
    throw error;
  }
  return 'copy';
}

export const findingNotes = (findings: Finding[]) =>
  findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, message: renderMessage(f) }));

/** Why an action failed, in words: a system error by its code, anything else by its message. */
export const whyFailed = (error: unknown): string =>
  error instanceof ConfinementError || errnoCode(error) === undefined
    ? error instanceof Error
      ? error.message
      : String(error)
    : errnoCode(error) === 'ELOOP'
      ? 'a symlink stands there now (ELOOP); left alone'
      : errnoCode(error)!;

export interface RunHandle {
  quarantine: string;
  runDir: string;
  journal: Journal;
  lock: Lock;
  resumed: boolean;
  recovered: number;
  nextId: number;
  /** The device of the run's files folder: a special file on another one cannot be moved there. */
  storeDev: number;
}

function lstatOrUndefined(path: Buffer): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Run `use` with the folder of the entry `relBase64` below the root, opened without following links. */
function inFolderOf<T>(
  rootReal: string,
  relBase64: string,
  use: (folder: Folder, name: Buffer) => T,
  create = false,
): T {
  const { dir, name } = splitLast(raw(relBase64));
  const folder = openFolder(rootReal, dir, create);
  try {
    return use(folder, name);
  } finally {
    folder.close();
  }
}

/** Change a mode through a handle checked to be the inode meant (`expected`), never through a path. */
export function chmodInode(
  folder: Folder,
  name: Buffer,
  expected: { dev: number; ino: number } | undefined,
  mode: number,
): void {
  const { fd, stats } = openLeaf(folder, name);
  try {
    if (!stats.isFile() && !stats.isDirectory())
      throw new Error(`a ${kindName(stats)} stands there now; left alone`);
    if (expected && !sameInode(stats, expected)) throw new Error('another file stands there now; left alone');
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}

/** Finish what a crashed run started: each open intent is settled from what is on disk. */
function recoverIntent(intent: Intent, rootReal: string, run: RunHandle, ops: MoveOps): void {
  try {
    inFolderOf(rootReal, intent.from, (folder, name) => {
      if (intent.action === 'chmod') {
        if (lstatOrUndefined(folder.at(name))) chmodInode(folder, name, inodeOf(intent), intent.newMode);
        run.journal.append({ op: 'done', id: intent.id });
        return;
      }
      const from = folder.at(name);
      const to = under(run.runDir, intent.to);
      rmSync(Buffer.concat([to, Buffer.from('.partial')]), { force: true });
      const atFrom = lstatOrUndefined(from);
      const atTo = lstatOrUndefined(to);
      if (atTo && contentHash(to, atTo) === intent.sha256) {
        if (atFrom) unlinkSync(from); // a verified cross-filesystem copy whose unlink did not happen
        run.journal.append({ op: 'done', id: intent.id });
      } else if (atFrom) {
        if (atTo) rmSync(to, { force: true });
        mkdirSync(parentOf(to), { recursive: true, mode: 0o700 });
        run.journal.append({
          op: 'done',
          id: intent.id,
          how: moveEntry(from, to, atFrom, intent.sha256, ops),
        });
      } else {
        run.journal.append({ op: 'failed', id: intent.id, why: 'vanished before it was moved' });
      }
    });
  } catch (error) {
    if (isDiskFull(error)) throw quarantineFull(run, error);
    // It cannot be finished: it stays where it is, and the run is not held open by it forever.
    run.journal.append({ op: 'failed', id: intent.id, why: whyFailed(error) });
  }
}

const inodeOf = (intent: { dev?: number; ino?: number }) =>
  intent.dev === undefined || intent.ino === undefined ? undefined : { dev: intent.dev, ino: intent.ino };

/** A full quarantine: one line naming it; what was moved stays journaled, the rest in place. */
function quarantineFull(run: { quarantine: string; runDir: string }, error: unknown): InputError {
  return new InputError(
    `quarantine '${run.quarantine}' is full (${errnoCode(error)}): the files not yet moved were left in place; run the same fix --apply again once there is room, or restore ${run.runDir}`,
  );
}

/**
 * Take the quarantine's lock, then resume the newest unfinished run for this root (recovering its
 * open intents), or begin a new one. The caller releases the lock with `closeRun`.
 */
export function openRun(quarantine: string, rootReal: string, now: Date, ops: MoveOps = REAL_OPS): RunHandle {
  const lock = lockQuarantine(quarantine, 'fix --apply');
  try {
    const runs = readdirSync(quarantine)
      .filter((name) => name.startsWith('run-'))
      .sort();
    for (const name of runs.reverse()) {
      const runDir = join(quarantine, name);
      const state = journalState(readJournal(runDir));
      if (state.complete || state.root !== rootReal) continue;
      const run = handle(quarantine, runDir, lock, true, state.nextId);
      const open = state.intents.filter((i) => !state.done.has(i.id) && !state.failed.has(i.id));
      for (const intent of open) recoverIntent(intent, rootReal, run, ops);
      run.recovered = open.length;
      return run;
    }
    const runDir = join(quarantine, `run-${now.toISOString().replace(/[:.]/g, '-')}`);
    try {
      mkdirSync(join(runDir, 'files'), { recursive: true, mode: 0o700 });
    } catch (error) {
      if (isDiskFull(error)) throw quarantineFull({ quarantine, runDir }, error);
      throw error;
    }
    const run = handle(quarantine, runDir, lock, false, 1);
    run.journal.append({ op: 'begin', run: runDir, root: rootReal, time: now.toISOString() });
    return run;
  } catch (error) {
    lock.release();
    if (isDiskFull(error)) throw quarantineFull({ quarantine, runDir: quarantine }, error);
    throw error;
  }
}

function handle(quarantine: string, runDir: string, lock: Lock, resumed: boolean, nextId: number): RunHandle {
  mkdirSync(join(runDir, 'files'), { recursive: true, mode: 0o700 });
  return {
    quarantine,
    runDir,
    journal: new Journal(runDir),
    lock,
    resumed,
    recovered: 0,
    nextId,
    storeDev: lstatSync(join(runDir, 'files')).dev,
  };
}

export interface ApplyResult {
  moved: number;
  bytes: number;
  chmodded: number;
  failed: { path: string; why: string }[];
}

/** Apply every action of the plan in the run, journal first. A full quarantine stops the run. */
export function applyPlan(
  plan: Plan,
  rootReal: string,
  run: RunHandle,
  ops: MoveOps = REAL_OPS,
): ApplyResult {
  const result: ApplyResult = { moved: 0, bytes: 0, chmodded: 0, failed: [] };
  for (const action of plan.actions) {
    const rel = action.pathBase64 ?? b64(Buffer.from(action.path));
    try {
      inFolderOf(rootReal, rel, (folder, name) => {
        const stats = lstatOrUndefined(folder.at(name));
        if (!stats) throw new Error('vanished since the scan');
        const planned = action.findings[0]?.kind;
        if (planned !== undefined && planned !== entryKindOf(stats))
          throw new Error(`it changed since the scan (now a ${kindName(stats)}); left alone`);
        if (action.kind === 'chmod') {
          chmodEntry(action, rel, folder, name, stats, run);
          result.chmodded++;
        } else {
          quarantineEntry(action, rel, folder, name, stats, run, ops);
          result.moved++;
          result.bytes += stats.size;
        }
      });
    } catch (error) {
      if (isDiskFull(error)) throw quarantineFull(run, error);
      result.failed.push({ path: action.path, why: whyFailed(error) });
    }
  }
  return result;
}

function chmodEntry(
  action: Action,
  rel: string,
  folder: Folder,
  name: Buffer,
  stats: Stats,
  run: RunHandle,
): void {
  if (!stats.isFile() && !stats.isDirectory()) throw new Error('not a file or folder');
  const intent: ChmodIntent = {
    op: 'intent',
    id: run.nextId++,
    action: 'chmod',
    from: rel,
    path: action.path,
    oldMode: stats.mode & 0o7777,
    newMode: stats.mode & 0o7777 & ~action.clearBits!,
    dev: stats.dev,
    ino: stats.ino,
    findings: findingNotes(action.findings),
  };
  run.journal.append(intent);
  try {
    chmodInode(folder, name, stats, intent.newMode);
  } catch (error) {
    run.journal.append({ op: 'failed', id: intent.id, why: whyFailed(error) });
    throw error;
  }
  run.journal.append({ op: 'done', id: intent.id });
}

function quarantineEntry(
  action: Action,
  rel: string,
  folder: Folder,
  name: Buffer,
  stats: Stats,
  run: RunHandle,
  ops: MoveOps,
): void {
  if (stats.isDirectory()) throw new Error('folders are not quarantined');
  if (!stats.isFile() && !stats.isSymbolicLink() && stats.dev !== run.storeDev)
    throw new Error(
      `a ${kindName(stats)} cannot be moved to a quarantine on another filesystem; left in place`,
    );
  const from = folder.at(name);
  const intent = moveIntent(run.nextId++, action, rel, stats, contentHash(from, stats), fstatSync(folder.fd));
  run.journal.append(intent);
  const to = under(run.runDir, intent.to);
  let how: 'rename' | 'copy';
  try {
    mkdirSync(parentOf(to), { recursive: true, mode: 0o700 });
    how = moveEntry(from, to, stats, intent.sha256, ops);
  } catch (error) {
    if (!isDiskFull(error)) run.journal.append({ op: 'failed', id: intent.id, why: whyFailed(error) });
    throw error;
  }
  // Swapped between its hash and its move: record what was really stored, so restore is exact.
  const stored = lstatSync(to);
  const sha256 = how === 'rename' && !sameInode(stored, stats) ? contentHash(to, stored) : undefined;
  run.journal.append({ op: 'done', id: intent.id, how, ...(sha256 !== undefined && { sha256 }) });
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
    // A generated name: the quarantine never holds a hostile name that `ls` or `find` would print.
    to: b64(Buffer.from(`files/${id}`)),
    sha256,
    size: stats.size,
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    atimeMs: stats.atimeMs,
    mtimeMs: stats.mtimeMs,
    dev: stats.dev,
    ino: stats.ino,
    nlink: stats.nlink,
    parentAtimeMs: parent.atimeMs,
    parentMtimeMs: parent.mtimeMs,
    findings: findingNotes(action.findings),
  };
}

/** Mark the run complete and write its manifest (derived from the journal, so it cannot disagree). */
export function completeRun(run: RunHandle, now: Date): void {
  try {
    run.journal.append({ op: 'complete', time: now.toISOString() });
    writeManifest(run.runDir);
  } finally {
    closeRun(run);
  }
}

/** Close the journal and release the quarantine (also after a failure); safe to call twice. */
export function closeRun(run: RunHandle): void {
  run.journal.close();
  run.lock.release();
}

export function writeManifest(runDir: string): void {
  writeFileAtomic(join(runDir, 'manifest.json'), manifestOf(journalState(readJournal(runDir))));
}
