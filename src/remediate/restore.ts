/**
 * Undo a quarantine run: every moved file goes back with its bytes, mode, owner and times, its
 * hash verified; a file that now exists at the original path is a conflict, never overwritten
 * (--force moves the newer file aside, never deletes it). Restores are journaled too, and a
 * restore killed part-way is finished by the next one.
 *
 * Nothing is done through a path an uploader could have changed since: each original folder is
 * opened below the root without following a symlink (a folder swapped for a symlink is refused),
 * modes and times are set through handles checked to be the inode restored.
 */
import {
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  readdirSync,
  renameSync,
  rmSync,
  type Stats,
} from 'node:fs';
import { dirname } from 'node:path';
import { type Folder, openFolder, openLeaf, sameInode, splitLast } from '../util/confined.js';
import { errnoCode, InputError } from '../util/errors.js';
import { printableBytes } from '../util/escape.js';
import {
  chmodInode,
  contentHash,
  isDiskFull,
  type MoveOps,
  moveEntry,
  REAL_OPS,
  raw,
  under,
  whyFailed,
  writeManifest,
} from './apply.js';
import {
  type Intent,
  Journal,
  type JournalState,
  journalState,
  type MoveIntent,
  readJournal,
  toRestore,
} from './journal.js';
import { lockQuarantine } from './lock.js';

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

/** A conflict: something else stands at the original path now. */
class Conflict extends Error {}

export function restoreRun(runDir: string, options: RestoreOptions): RestoreResult {
  const state = journalState(readJournal(runDir));
  if (state.root === undefined)
    throw new InputError(`'${runDir}' is not a quarantine run (no journal with a begin record)`);
  const lock = lockQuarantine(dirname(runDir), 'restore');
  const result: RestoreResult = { restored: 0, conflicts: [], failed: [] };
  let journal: Journal | undefined;
  try {
    journal = new Journal(runDir);
    const restorer = new Restorer(state.root, runDir, state, journal, options);
    for (const intent of toRestore(state, options.only)) {
      try {
        restorer.restore(intent);
        journal.append({ op: 'restored', id: intent.id, time: options.now.toISOString() });
        result.restored++;
      } catch (error) {
        if (error instanceof Conflict) {
          result.conflicts.push({ path: intent.path });
          continue;
        }
        if (isDiskFull(error))
          throw new InputError(
            `no room left to restore into '${state.root}' (${errnoCode(error)}); the rest stays in ${runDir}`,
          );
        result.failed.push({ path: intent.path, why: whyFailed(error) });
      }
    }
    result.conflicts.push(...restorer.movedAside);
  } finally {
    journal?.close();
    lock.release();
  }
  writeManifest(runDir);
  return result;
}

function lstatOrUndefined(path: Buffer): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

class Restorer {
  readonly movedAside: { path: string; movedAsideTo: string }[] = [];
  /** Paths of inodes still in the tree, by `dev:ino`, found once when a hard link must be rejoined. */
  #links: Map<string, Buffer> | undefined;

  constructor(
    readonly root: string,
    readonly runDir: string,
    readonly state: JournalState,
    readonly journal: Journal,
    readonly options: RestoreOptions,
  ) {}

  restore(intent: Intent): void {
    const { dir, name } = splitLast(raw(intent.from));
    // Folders emptied and removed since the fix are made again; their times are put back below.
    const folder = openFolder(this.root, dir, true);
    try {
      if (intent.action === 'chmod') {
        if (lstatOrUndefined(folder.at(name)))
          chmodInode(
            folder,
            name,
            intent.dev === undefined ? undefined : { dev: intent.dev, ino: intent.ino! },
            intent.oldMode,
          );
      } else this.#restoreMove(intent, folder, name);
    } finally {
      folder.close();
    }
  }

  #restoreMove(intent: MoveIntent, folder: Folder, name: Buffer): void {
    const original = folder.at(name);
    const stored = under(this.runDir, intent.to);
    if (this.state.restoring.has(intent.id))
      rmSync(Buffer.concat([original, Buffer.from('.partial')]), { force: true });
    const atStored = lstatOrUndefined(stored);
    const atOriginal = lstatOrUndefined(original);
    const originalIsIt = atOriginal !== undefined && contentHash(original, atOriginal) === intent.sha256;
    if (!atStored) {
      // A move killed before it happened: nothing left the tree.
      if (!this.state.done.has(intent.id) && !this.state.restoring.has(intent.id)) return;
      // A restore killed after its move: the file is back; its metadata may not be yet.
      if (originalIsIt && this.state.restoring.has(intent.id)) {
        restoreMetadata(folder, name, intent);
        return;
      }
      throw new Error('the quarantined copy is missing');
    }
    if (contentHash(stored, atStored) !== intent.sha256)
      throw new Error('the quarantined copy no longer matches its recorded hash');
    if (!this.state.done.has(intent.id) && originalIsIt) {
      // A cross-filesystem move killed between its verified copy and the unlink: the file never left.
      rmSync(stored, { force: true });
      return;
    }
    if (atOriginal) this.#moveAside(intent, folder, name);
    this.journal.append({ op: 'restoring', id: intent.id });
    const sibling = (intent.nlink ?? 1) > 1 ? this.#linkOf(intent) : undefined;
    if (sibling) {
      // A hard link copied across filesystems: join the name to the inode still in the tree again.
      linkSync(sibling, original);
      rmSync(stored, { force: true });
    } else {
      moveEntry(stored, original, atStored, intent.sha256, this.options.ops ?? REAL_OPS);
    }
    restoreMetadata(folder, name, intent);
  }

  #moveAside(intent: MoveIntent, folder: Folder, name: Buffer): void {
    if (!this.options.force) throw new Conflict();
    const asideName = Buffer.concat([
      name,
      Buffer.from(`.upload-audit-conflict-${this.options.now.getTime()}`),
    ]);
    renameSync(folder.at(name), folder.at(asideName));
    const { dir } = splitLast(raw(intent.from));
    this.movedAside.push({
      path: intent.path,
      movedAsideTo: printableBytes(
        Buffer.concat([
          Buffer.from(`${this.root}/`),
          ...dir.flatMap((d) => [d, Buffer.from('/')]),
          asideName,
        ]),
      ),
    });
  }

  /** Another name of the intent's inode still in the tree, if its content is still the one moved. */
  #linkOf(intent: MoveIntent): Buffer | undefined {
    if (intent.dev === undefined || intent.ino === undefined) return undefined;
    this.#links ??= this.#findLinks();
    const path = this.#links.get(`${intent.dev}:${intent.ino}`);
    if (!path) return undefined;
    const stats = lstatOrUndefined(path);
    if (!stats?.isFile() || stats.dev !== intent.dev || stats.ino !== intent.ino) return undefined;
    return contentHash(path, stats) === intent.sha256 ? path : undefined;
  }

  /** One walk of the tree (never through a symlink) for the inodes of moved hard links. */
  #findLinks(): Map<string, Buffer> {
    const wanted = new Set(
      this.state.intents.flatMap((i) =>
        i.action === 'quarantine' && (i.nlink ?? 1) > 1 ? [`${i.dev}:${i.ino}`] : [],
      ),
    );
    const found = new Map<string, Buffer>();
    const walk = (dir: Buffer): void => {
      let names: Buffer[];
      try {
        names = readdirSync(dir, { encoding: 'buffer' });
      } catch {
        return;
      }
      for (const child of names) {
        const path = Buffer.concat([dir, Buffer.from('/'), child]);
        const stats = lstatOrUndefined(path);
        if (stats?.isDirectory()) walk(path);
        else if (stats?.isFile() && wanted.has(`${stats.dev}:${stats.ino}`))
          found.set(`${stats.dev}:${stats.ino}`, path);
      }
    };
    walk(Buffer.from(this.root));
    return found;
  }
}

/**
 * Put back what a move may have changed, and only that: a rename keeps times to the nanosecond,
 * and rewriting them would lose precision (utimes takes microseconds). Owner, mode and times are
 * set through a handle on the restored inode (a symlink's with lchown and lutimes), never through
 * a path that could have become a symlink. The parent folder's times are put back through its
 * handle; restoring in reverse order leaves each folder with its time before the fix.
 */
function restoreMetadata(folder: Folder, name: Buffer, intent: MoveIntent): void {
  const path = folder.at(name);
  const stats = lstatSync(path);
  if (stats.isSymbolicLink()) {
    try {
      if (stats.uid !== intent.uid || stats.gid !== intent.gid) lchownSync(path, intent.uid, intent.gid);
    } catch (error) {
      if (errnoCode(error) !== 'EPERM') throw error;
    }
    // lutimes sets the link's own times; utimes would follow it to its target.
    if (stats.mtimeMs !== intent.mtimeMs) lutimesSync(path, intent.atimeMs / 1000, intent.mtimeMs / 1000);
  } else if (stats.isFile() || stats.isDirectory()) {
    const { fd, stats: opened } = openLeaf(folder, name);
    try {
      if (!sameInode(opened, stats)) throw new Error('it changed while it was being restored');
      try {
        if (opened.uid !== intent.uid || opened.gid !== intent.gid) fchownSync(fd, intent.uid, intent.gid);
      } catch (error) {
        if (errnoCode(error) !== 'EPERM') throw error;
      }
      if ((opened.mode & 0o7777) !== (intent.mode & 0o7777)) fchmodSync(fd, intent.mode & 0o7777);
      if (opened.mtimeMs !== intent.mtimeMs) futimesSync(fd, intent.atimeMs / 1000, intent.mtimeMs / 1000);
    } finally {
      closeSync(fd);
    }
  }
  // FIFOs, sockets and devices are only ever renamed (same filesystem), which keeps all of it.
  if (intent.parentMtimeMs !== undefined)
    futimesSync(
      folder.fd,
      (intent.parentAtimeMs ?? intent.parentMtimeMs) / 1000,
      intent.parentMtimeMs / 1000,
    );
}
