/**
 * Large plain logs are read in parts: the file is cut at line starts near equal byte offsets,
 * threads (this one and workers) claim parts until none is left, every part is audited on its
 * own, and the caller renumbers the lines. Gzip and stdin are streams and stay in one thread.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { WorkerGroup } from '../../util/threads.js';
import type { LogAuditor, LogPart, LogPartResult, LogSettings } from './auditor.js';
import { envelopeOf } from './envelope.js';
import { detectFormat, FORMATS, type LogFormat } from './formats.js';
import { GZIP_MAGIC } from './lines.js';

/** Below this a log is read in one thread: starting workers would cost more than they save. */
export const PARALLEL_MIN_BYTES = 4 * 1024 * 1024;
/** How far from an even cut we look for a line start before giving up that cut. */
const CUT_SEARCH_BYTES = 1024 * 1024;
/** How much of the head is read to learn the format before cutting. */
const FORMAT_SEARCH_BYTES = 1024 * 1024;

/**
 * The format the first recognizable line gives, and the source of its envelope, as the
 * sequential reader would decide them.
 */
function formatFromHead(
  head: Buffer,
  maxLineBytes: number,
): { format: LogFormat; source?: string } | undefined {
  let start = 0;
  for (let nl = head.indexOf(0x0a); nl !== -1; nl = head.indexOf(0x0a, start)) {
    const end = nl > start && head[nl - 1] === 0x0d ? nl - 1 : nl;
    if (nl - start <= maxLineBytes) {
      const text = head.toString('utf8', start, end);
      if (text.trim() !== '') {
        const envelope = envelopeOf(text);
        const format = detectFormat(envelope?.message ?? text);
        if (format) return envelope === undefined ? { format } : { format, source: envelope.source };
      }
    }
    start = nl + 1;
  }
  return undefined;
}

/** The first line start at or after `from` (within CUT_SEARCH_BYTES), or undefined. */
function lineStartAfter(fd: number, from: number, size: number, buffer: Buffer): number | undefined {
  for (let at = from - 1; at < Math.min(size, from + CUT_SEARCH_BYTES); at += buffer.length) {
    const read = readSync(fd, buffer, 0, buffer.length, at);
    if (read === 0) return undefined;
    const nl = buffer.subarray(0, read).indexOf(0x0a);
    if (nl !== -1) return at + nl + 1;
  }
  return undefined;
}

/**
 * Cut a plain log file into up to `count` parts at line starts; undefined when it should be read
 * whole (stdin, gzip, small, or no recognizable line near the head to fix the format).
 */
export function splitLog(
  whole: LogPart,
  count: number,
  maxLineBytes: number,
  minBytes = PARALLEL_MIN_BYTES,
): LogPart[] | undefined {
  if (whole.file === '-' || count < 2) return undefined;
  const fd = openSync(whole.file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < minBytes) return undefined;
    const head = Buffer.alloc(Math.min(size, FORMAT_SEARCH_BYTES));
    readSync(fd, head, 0, head.length, 0);
    if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) return undefined;
    const found = whole.format === undefined ? formatFromHead(head, maxLineBytes) : { format: whole.format };
    if (found === undefined || FORMATS[found.format].whole) return undefined;
    const cuts = [0];
    const buffer = Buffer.alloc(64 * 1024);
    for (let i = 1; i < count; i++) {
      const cut = lineStartAfter(fd, Math.floor((size * i) / count), size, buffer);
      if (cut !== undefined && cut > cuts.at(-1)! && cut < size) cuts.push(cut);
    }
    if (cuts.length < 2) return undefined;
    return cuts.map((start, i) => ({
      file: whole.file,
      range: { start, end: cuts[i + 1] ?? size },
      // The first part decides the format from its lines, exactly as a whole read would.
      ...(i === 0 ? whole.format !== undefined && { format: whole.format } : found),
    }));
  } finally {
    closeSync(fd);
  }
}

/** Parts per thread: threads that start late or run slow take fewer of them. */
export const PARTS_PER_THREAD = 8;

/** What a worker is given: every part, and the shared counter threads claim parts from. */
export interface LogWorkerData {
  settings: LogSettings;
  parts: LogPart[];
  next: Int32Array;
}

/** A worker's messages: each part's result as soon as it is done (the main thread takes them in
 * while it audits parts of its own), then the end, or the error that stopped it. */
export type LogWorkerMessage = { part: number; result: LogPartResult } | { done: true } | { error: string };

/** A part's result and the thread that audited it (threadId; 0 is the main thread). */
export interface AuditedPart {
  result: LogPartResult;
  thread: number;
}

/** Claim parts from the shared counter until none is left; hand each result to `take`. */
export async function auditClaimed(
  auditor: LogAuditor,
  parts: LogPart[],
  next: Int32Array,
  take: (part: number, result: LogPartResult) => void,
): Promise<void> {
  for (let i = Atomics.add(next, 0, 1); i < parts.length; i = Atomics.add(next, 0, 1))
    take(i, await auditor.audit(parts[i]!));
}

/**
 * Audit the parts with `threads` threads, this one included: it starts at once while workers
 * load, and every thread claims the next part when it is free. Results come back in part order.
 */
export async function auditInParallel(
  parts: LogPart[],
  settings: LogSettings,
  threads: number,
  auditor: LogAuditor,
): Promise<AuditedPart[]> {
  const next = new Int32Array(new SharedArrayBuffer(4));
  const spawn = Math.min(threads, parts.length) - 1;
  const results: AuditedPart[] = new Array(parts.length);
  const take = (part: number, result: LogPartResult, thread = 0): void => {
    results[part] = { result, thread };
  };
  let group: WorkerGroup<LogWorkerMessage> | undefined;
  try {
    let workersDone = Promise.resolve();
    if (spawn > 0) {
      let resolve = (): void => {};
      let reject = (_: Error): void => {};
      workersDone = new Promise<void>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      let done = 0;
      const data: LogWorkerData = { settings, parts, next };
      // Throws before this thread claims a part when the workers cannot start.
      group = new WorkerGroup<LogWorkerMessage>({
        module: './worker.js',
        from: import.meta.url,
        count: spawn,
        workerData: data,
        what: 'log worker',
        onFailure: reject,
        onMessage: (message, worker) => {
          if ('part' in message) take(message.part, message.result, worker.threadId);
          else if ('error' in message)
            reject(new Error(`log worker failed in ${parts[0]!.file}: ${message.error}`));
          else {
            group?.release(worker);
            if (++done === spawn) resolve();
          }
        },
      });
    }
    await Promise.all([auditClaimed(auditor, parts, next, take), workersDone]);
    return results;
  } finally {
    // Done, or one part failed: no thread claims another part, and no worker keeps the process alive.
    Atomics.store(next, 0, parts.length);
    group?.stop();
  }
}
