/**
 * A progress line for long scans on a terminal: entries seen, files per second, the current
 * folder, elapsed time; on stderr, redrawn in place, and erased at the end. Nothing when stderr is
 * not a terminal, in CI, or with --quiet.
 */

import type { Progress } from '../audit/run.js';
import { escapeUnsafe } from '../util/escape.js';
import { formatCount } from '../util/format.js';

const REDRAW_MS = 100;

export interface ProgressLine {
  update(progress: Progress): void;
  done(): void;
}

export function progressLine(
  stream: NodeJS.WriteStream,
  enabled: boolean,
  now: () => number = Date.now,
): ProgressLine | undefined {
  if (!enabled || !stream.isTTY) return undefined;
  const started = now();
  let last = 0;
  let drawn = false;
  return {
    update({ counters, current }) {
      const t = now();
      if (t - last < REDRAW_MS) return;
      last = t;
      const seconds = (t - started) / 1000;
      const rate = seconds > 0 ? Math.round(counters.files / seconds) : 0;
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      const line = `scanning: ${formatCount(counters.entries)} entries, ${formatCount(rate)} files/s, ${seconds.toFixed(1)} s, in ${escapeUnsafe(current || '.')}`;
      stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
