/**
 * What the long-running commands (serve, watch) share: SIGHUP loads the policy again (a policy
 * with errors keeps the old one, and says why), SIGTERM or SIGINT stops, and the command returns
 * once its work in flight is done.
 */
import type { PolicySet } from '../policy/policy.js';
import { escapeUnsafe } from '../util/escape.js';

export interface Daemon {
  /** Take the policy loaded again. */
  reload(policy: PolicySet): void;
  /** Told that a reload failed; says which policy it keeps. */
  reloadFailed(): string;
  /** Stop taking work; resolves when the work in flight is done. */
  stop(): Promise<void>;
}

export async function runUntilStopped(
  daemon: Daemon,
  loadPolicy: () => PolicySet,
  say: (line: string) => void,
): Promise<void> {
  const reload = (): void => {
    try {
      const policy = loadPolicy();
      daemon.reload(policy);
      say(`policy reloaded: ${policy.digest.slice(0, 19)}`);
    } catch (error) {
      const why = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      say(`policy reload failed, keeping ${daemon.reloadFailed()}: ${escapeUnsafe(why)}`);
    }
  };
  process.on('SIGHUP', reload);
  try {
    await new Promise<void>((resolve) => {
      const stop = (): void => void daemon.stop().then(resolve);
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  } finally {
    process.off('SIGHUP', reload);
  }
}
