/**
 * One remediation at a time per quarantine: `fix --apply` and `restore` take `QDIR/.lock`
 * (created with O_EXCL, holding the owner's pid and start time) and refuse to run while another
 * live process holds it. A lock left by a killed run is taken over: its pid is gone, or the pid
 * now belongs to a process that started later.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, InputError } from '../util/errors.js';

const LOCK = '.lock';

interface Holder {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/PID/stat), where known. */
  start?: string;
  what: string;
  since: string;
}

/** Field 22 of /proc/PID/stat: when the process started; tells a reused pid from the holder. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if (errnoCode(error) !== 'EPERM') return false;
  }
  const start = startTime(holder.pid);
  return holder.start === undefined || start === undefined || start === holder.start;
}

function readHolder(path: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    return typeof holder.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

export interface Lock {
  release(): void;
}

/** Take the quarantine's lock for `what` ('fix --apply', 'restore'), or refuse with who holds it. */
export function lockQuarantine(quarantine: string, what: string): Lock {
  const path = join(quarantine, LOCK);
  const me: Holder = { pid: process.pid, what, since: new Date().toISOString() };
  const start = startTime(process.pid);
  if (start !== undefined) me.start = start;
  // Written whole under a name of our own, then linked into place: link() fails if the lock
  // exists, and a reader never sees a lock without its holder.
  const mine = `${path}.${process.pid}`;
  try {
    writeFileSync(mine, `${JSON.stringify(me)}\n`, { mode: 0o600 });
  } catch (error) {
    throw new InputError(`cannot lock quarantine '${quarantine}': ${errnoCode(error) ?? error}`);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, path);
        let held = true;
        return {
          release: () => {
            if (held) rmSync(path, { force: true });
            held = false;
          },
        };
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST')
          throw new InputError(`cannot lock quarantine '${quarantine}': ${errnoCode(error) ?? error}`);
      }
      const holder = readHolder(path);
      if (holder && alive(holder))
        throw new InputError(
          `quarantine '${quarantine}' is in use by ${holder.what} (pid ${holder.pid}, since ${holder.since}); try again when it ends`,
        );
      // A stale lock (its holder died): moved aside under a name of our own, so two runs taking
      // it over at once cannot both remove a fresh one.
      const stale = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, stale);
        rmSync(stale, { force: true });
      } catch {
        // Another run took it over first; try again.
      }
    }
  } finally {
    rmSync(mine, { force: true });
  }
  throw new InputError(`cannot lock quarantine '${quarantine}': another run keeps taking it`);
}
