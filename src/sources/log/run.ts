/** `upload-audit log`: every upload recorded in the logs, audited with the same rules and report as `scan`. */
import { accessSync, constants, statSync } from 'node:fs';
import type { Collector } from '../../audit/auditor.js';
import { type RunContext, type RunOptions, runAudit, type Source } from '../../audit/run.js';
import type { Report } from '../../model/types.js';
import { errnoCode, InputError } from '../../util/errors.js';
import type { BucketClientOptions } from '../s3/client.js';
import { DEFAULT_MAX_REQUESTS, isBucketUrl } from '../s3/location.js';
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
import type { StoredFiles } from './stored.js';

export interface LogOptions extends RunOptions {
  files: string[];
  /** Forced format; detected per file from its first recognizable line otherwise. */
  format?: LogFormat;
  fields: Partial<Record<Field, string>>;
  uploadPath: RegExp;
  /** Where stored files live, for the three-way check: a folder, or s3://BUCKET[/PREFIX]. */
  root?: string;
  /** For an s3:// root: how to reach the store. */
  client?: BucketClientOptions;
  maxLineBytes?: number;
  /** Not-evaluated lines listed one by one per log and reason (default LISTED_LINES_PER_REASON). */
  listedPerReason?: number;
  /** Smallest file read in parallel parts (default 4 MiB). */
  parallelMinBytes?: number;
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

/** The uploads recorded in logs: each line parsed by its format, large plain logs in parts by threads. */
export class LogSource implements Source {
  readonly kind = 'log';
  readonly root: string;
  readonly rootAbsolute = process.cwd();
  /** With an s3:// root: the range requests made for stored objects and the bytes they fetched. */
  readonly fetched = { requests: 0, bytes: 0 };

  constructor(private readonly options: LogOptions) {
    this.root = options.files.join(', ');
    for (const file of options.files) checkReadable(file);
  }

  async collect(run: RunContext, collected: Collector): Promise<void> {
    const { options } = this;
    if (options.root !== undefined && isBucketUrl(options.root))
      return this.#collectWithBucket(run, collected, options.root);
    return this.#collect(run, collected);
  }

  /**
   * Stored files in a bucket: one thread (the records' objects are read by range requests, one
   * record at a time), and the run says how much it fetched.
   */
  async #collectWithBucket(run: RunContext, collected: Collector, root: string): Promise<void> {
    // The AWS SDK loads only for a bucket.
    const [{ bucketClient }, { bucketStore }, { parseBucketUrl }] = await Promise.all([
      import('../s3/client.js'),
      import('../s3/stored.js'),
      import('../s3/location.js'),
    ]);
    const client = bucketClient(this.options.client ?? { maxRequests: DEFAULT_MAX_REQUESTS });
    try {
      const stored = bucketStore(
        client,
        parseBucketUrl(root, 'read stored objects in'),
        run.policy.bounds,
        this.fetched,
      );
      await this.#collect({ ...run, threads: 1 }, collected, stored);
    } finally {
      client.destroy();
    }
  }

  async #collect(run: RunContext, collected: Collector, stored?: StoredFiles): Promise<void> {
    const { options } = this;
    const settings: LogSettings = {
      policy: run.policy,
      fields: options.fields,
      uploadPath: options.uploadPath,
      maxLineBytes: options.maxLineBytes ?? MAX_LOG_LINE_BYTES,
      listedPerReason: options.listedPerReason ?? LISTED_LINES_PER_REASON,
      nowMs: run.nowMs,
      ...(options.root !== undefined && !stored && { root: options.root }),
    };
    const auditor = new LogAuditor(settings, { ...(stored && { stored }) });
    for (const file of options.files) {
      const whole: LogPart = { file, ...(options.format !== undefined && { format: options.format }) };
      const parts =
        run.threads > 1
          ? splitLog(whole, run.threads * PARTS_PER_THREAD, settings.maxLineBytes, options.parallelMinBytes)
          : undefined;
      const audited = parts
        ? await auditInParallel(parts, settings, run.threads, auditor)
        : [{ result: await auditor.audit(whole), thread: 0 }];
      // Each part lists its first lines of a reason; the log as a whole lists its first ones.
      const unevaluated = new NotEvaluatedLines(file, settings.listedPerReason, collected.notEvaluated);
      let offset = 0;
      for (const { result: part, thread } of audited) {
        for (const finding of part.findings) finding.location!.line += offset;
        collected.merge({ counters: part.counters, findings: part.findings, notEvaluated: [] }, thread);
        for (const item of part.notEvaluated)
          unevaluated.add(item.location!.line + offset, item.reason, item.detail, item.count);
        offset += part.lines;
      }
      unevaluated.finish();
    }
  }
}

/** Audit every upload recorded in the logs: the log source through the one audit pipeline. */
export function runLog(options: LogOptions): Promise<Report> {
  return runAudit(new LogSource(options), options);
}
