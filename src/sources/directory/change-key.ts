/**
 * When a file may be skipped by an incremental rescan: its change key (what lstat says of it,
 * to the nanosecond) is the one stored with its verdict, and it did not change so close to the
 * last run's start that a change within the clock's granularity could hide ("racy", as git
 * calls it).
 */
import { type BigIntStats, lstatSync } from 'node:fs';

/**
 * Timestamps closer than this to the last run's start are not trusted: FAT stores mtime to 2 s,
 * ext4 and XFS take it from a clock that ticks every few milliseconds, and a write during that
 * run's read of the file may keep its mtime.
 */
export const RACY_MARGIN_MS = 2000;

export interface ChangeKey {
  /** device, inode, size, mtime and ctime (0 when ignored) in ns, mode, links, owner, group. */
  values: bigint[];
  /** lstat's size, for the bytes counter of a skipped file. */
  size: number;
  /** Newest of mtime and (unless ignored) ctime, in ms: for the racy check. */
  changedMs: number;
}

/** The change key of a regular file, without opening it; undefined when it is not one (any more). */
export function changeKeyOf(fsPath: string | Buffer, ignoreCtime: boolean): ChangeKey | undefined {
  let stats: BigIntStats;
  try {
    stats = lstatSync(fsPath, { bigint: true });
  } catch {
    return undefined; // gone or unreadable: the full read says which
  }
  if (!stats.isFile()) return undefined;
  const ctime = ignoreCtime ? 0n : stats.ctimeNs;
  const values = [
    stats.dev,
    stats.ino,
    stats.size,
    stats.mtimeNs,
    ctime,
    stats.mode,
    stats.nlink,
    stats.uid,
    stats.gid,
  ];
  const newest = ignoreCtime || stats.mtimeNs > stats.ctimeNs ? stats.mtimeNs : stats.ctimeNs;
  return { values, size: Number(stats.size), changedMs: Number(newest / 1_000_000n) };
}
