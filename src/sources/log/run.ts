/** `upload-audit log`: every upload recorded in the logs, audited with the same rules and report as `scan`. */
import { accessSync, constants, statSync } from 'node:fs';
import { Collector } from '../../audit/auditor.js';
import { assembleReport } from '../../audit/report.js';
import type { Report, Severity } from '../../model/types.js';
import { defaultPolicySet, type PolicySet } from '../../policy/policy.js';
import { errnoCode, InputError } from '../../util/errors.js';
import {
  LISTED_LINES_PER_REASON,
  LogAuditor,
  type LogPart,
  type LogSettings,
  NotEvaluatedLines,
} from './auditor.js';
import type { LogFormat } from './formats.js';
import type { Field } from './jsonl.js';
import { MAX_LOG_LINE_BYTES } from './lines.js';
import { auditInParallel, PARTS_PER_THREAD, splitLog } from './parts.js';

export interface LogOptions {
  files: string[];
  /** Forced format; detected per file from its first recognizable line otherwise. */
  format?: LogFormat;
  fields: Partial<Record<Field, string>>;
  uploadPath: RegExp;
  /** Where stored files live, for the three-way check. */
  root?: string;
  policy?: PolicySet;
  failOn: Severity | 'none';
  allowUnevaluated: boolean;
  maxLineBytes?: number;
  /** Not-evaluated lines listed one by one per log and reason (default LISTED_LINES_PER_REASON). */
  listedPerReason?: number;
  now?: () => Date;
  /** Worker threads for large plain log files (default 1: in this thread). */
  concurrency?: number;
  /** Smallest file read in parallel parts (default 4 MiB). */
  parallelMinBytes?: number;
  /** Filled with the threadId of every thread that audited a part (0: the main thread). */
  threadsUsed?: Set<number>;
}

/** A log that cannot be opened is bad input (exit 2), named before anything is read. */
function checkReadable(file: string): void {
  if (file === '-') return;
  try {
    if (statSync(file).isDirectory()) throw new InputError(`cannot read log '${file}': it is a directory`);
    accessSync(file, constants.R_OK);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = errnoCode(error);
    throw new InputError(
      `cannot read log '${file}': ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`,
    );
  }
}

/** Audit every upload recorded in the logs with the same rules and report as `scan`. */
export async function runLog(options: LogOptions): Promise<Report> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const policy = options.policy ?? defaultPolicySet();
  const settings: LogSettings = {
    policy,
    fields: options.fields,
    uploadPath: options.uploadPath,
    maxLineBytes: options.maxLineBytes ?? MAX_LOG_LINE_BYTES,
    listedPerReason: options.listedPerReason ?? LISTED_LINES_PER_REASON,
    nowMs: started.getTime(),
    ...(options.root !== undefined && { root: options.root }),
  };
  const auditor = new LogAuditor(settings);
  const collected = new Collector();
  for (const file of options.files) checkReadable(file);
  for (const file of options.files) {
    const whole: LogPart = { file, ...(options.format !== undefined && { format: options.format }) };
    const threads = options.concurrency ?? 1;
    const parts =
      threads > 1
        ? splitLog(whole, threads * PARTS_PER_THREAD, settings.maxLineBytes, options.parallelMinBytes)
        : undefined;
    const audited = parts
      ? await auditInParallel(parts, settings, threads, auditor)
      : [{ result: await auditor.audit(whole), thread: 0 }];
    for (const { thread } of audited) options.threadsUsed?.add(thread);
    // Each part lists its first lines of a reason; the log as a whole lists its first ones.
    const unevaluated = new NotEvaluatedLines(file, settings.listedPerReason, collected.notEvaluated);
    let offset = 0;
    for (const { result: part } of audited) {
      for (const finding of part.findings) finding.location!.line += offset;
      collected.merge({ counters: part.counters, findings: part.findings, notEvaluated: [] });
      for (const item of part.notEvaluated)
        unevaluated.add(item.location!.line + offset, item.reason, item.detail, item.count);
      offset += part.lines;
    }
    unevaluated.finish();
  }
  return assembleReport({
    ...options,
    root: options.files.join(', '),
    rootAbsolute: process.cwd(),
    source: 'log',
    policy,
    started,
    ended: now(),
    ...collected,
  });
}
