import { accessSync, closeSync, constants, lstatSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { addCounters, type Counters, emptyCounters } from './counters.js';
import { errnoCode, InputError } from './errors.js';
import { evaluate } from './evaluate.js';
import { finalize } from './fingerprint.js';
import type { InspectContext } from './inspect/inspect.js';
import { analyzeName, decodeRepeatedly, lastComponent } from './inspect/names.js';
import { defaultPolicySet, PolicyResolver, type PolicySet } from './policy/policy.js';
import { assembleReport } from './report.js';
import { detached, logBytes, MAX_LOG_LINE_BYTES, splitLineBatches } from './sources/lines.js';
import {
  detectFormat,
  type Field,
  type LogFormat,
  parseCombinedLine,
  parseJsonLine,
  type UploadRecord,
} from './sources/log.js';
import { auditInParallel, PARTS_PER_THREAD, splitLog } from './sources/log-parts.js';
import { Suppressor } from './suppress.js';
import type { Finding, InspectedFile, NotEvaluated, Report, Severity } from './types.js';

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
}

/** A client name's final component once decoded: what a server would store it as. */
export const clientBaseName = (name: string): string => lastComponent(decodeRepeatedly(name).decoded);

/** An upload record as a rule input: kind `upload`, the client's name, what it declared. */
export function uploadRecord(record: UploadRecord): InspectedFile | undefined {
  const name =
    record.filename ?? (record.storedPath && lastComponent(record.storedPath)) ?? record.requestPath;
  if (name === undefined) return undefined;
  // Plain assignments, not conditional spreads: this runs once per log line.
  const declared: NonNullable<InspectedFile['declared']> = {};
  if (record.contentType !== undefined) declared.contentType = record.contentType;
  if (record.size !== undefined) declared.size = record.size;
  if (record.accepted !== undefined) declared.accepted = record.accepted;
  const file: InspectedFile = {
    path: name,
    kind: 'upload',
    name,
    size: record.size ?? 0,
    mode: 0,
    nlink: 1,
    mtimeMs: 0,
    nameInfo: analyzeName(clientBaseName(name)),
    declared,
  };
  if (name.includes('\uFFFD')) file.invalidUtf8Name = true;
  return file;
}

/** Add what is on disk at the record's stored path; a missing accepted upload is not evaluated. */
async function addStoredFacts(
  file: InspectedFile,
  storedPath: string,
  rootReal: string,
  ctx: InspectContext,
): Promise<string | undefined> {
  const full = isAbsolute(storedPath) ? storedPath : resolve(rootReal, storedPath);
  const rel = relative(rootReal, full);
  if (rel.startsWith('..') || isAbsolute(rel)) return `stored path ${storedPath} is outside --root`;
  try {
    if (!lstatSync(full).isFile()) return `stored path ${storedPath} is not a regular file`;
  } catch {
    return file.declared?.accepted === false ? undefined : `stored file ${storedPath} is missing`;
  }
  // Loaded here, not at start-up: only audits with --root look at files (file-type, yauzl: ~40 ms).
  const { inspectEntry } = await import('./inspect/inspect.js');
  const outcome = await inspectEntry(
    { path: rel, name: rel, decodedName: lastComponent(rel), kind: 'file', fsPath: full },
    ctx,
  );
  if (outcome.status !== 'ok') return `stored file ${storedPath}: ${outcome.detail}`;
  if (outcome.fd !== undefined) closeSync(outcome.fd);
  // On the record's own object: a spread copy plus a property gets a hidden class of its own.
  file.declared ??= {};
  file.declared.storedOnDisk = true;
  file.size = outcome.file.size;
  if (outcome.file.detected) file.detected = outcome.file.detected;
  return undefined;
}

/**
 * Copy the strings a finding keeps out of the line they were cut from: lines are slices of a
 * window of decoded text, and one kept slice keeps the whole 32 KiB window (see detached). Only
 * the few records that make findings pay for the copies.
 */
function detach(finding: Finding): void {
  finding.path = detached(finding.path);
  if (finding.innerPath !== undefined) finding.innerPath = detached(finding.innerPath);
  if (finding.client !== undefined) finding.client = detached(finding.client);
  if (finding.user !== undefined) finding.user = detached(finding.user);
  const { evidence } = finding;
  for (const key in evidence) {
    const value = evidence[key];
    if (typeof value === 'string') evidence[key] = detached(value);
  }
}

/**
 * Not-evaluated lines a log lists one by one for each reason; later ones are counted in one
 * entry. A log in the wrong format makes one entry per line: 2M such lines took 3 GB and wrote
 * a 476 MB report, and tens of GB of them would exhaust memory. Counts stay exact.
 */
export const LISTED_LINES_PER_REASON = 1000;

/**
 * Occurrences of one finding (one fingerprint: rule, name, content) a log lists one by one; the
 * later ones are counted on the last listed. A 3.5 MB gzip of 20.9M identical lines made 20.9M
 * findings (4.4 GiB, then SIGABRT); now it makes this many.
 */
export const LISTED_OCCURRENCES = 1000;

/** Adds findings to `out`, listing each fingerprint's first `listed` occurrences and counting the rest. */
export class FindingTally {
  readonly #seen = new Map<string, { listed: number; last: Finding }>();
  constructor(
    readonly out: Finding[],
    readonly listed = LISTED_OCCURRENCES,
  ) {}

  add(finding: Finding): void {
    const seen = this.#seen.get(finding.fingerprint);
    if (seen === undefined) {
      this.#seen.set(finding.fingerprint, { listed: 1, last: finding });
      this.out.push(finding);
    } else if (seen.listed < this.listed) {
      seen.listed++;
      seen.last = finding;
      this.out.push(finding);
    } else {
      seen.last.count = (seen.last.count ?? 1) + (finding.count ?? 1);
    }
  }
}

/**
 * Collects a log's not-evaluated lines into `out`: the first `limit` of each reason one by one,
 * the rest (and entries that already count several: a part's own tally) into one entry per
 * reason at the first of them. The lines of a reason must come in order.
 */
class NotEvaluatedLines {
  readonly #file: string;
  readonly #limit: number;
  readonly #out: NotEvaluated[];
  readonly #listed = new Map<NotEvaluated['reason'], number>();
  readonly #unlisted = new Map<NotEvaluated['reason'], { line: number; count: number }>();

  constructor(file: string, limit: number, out: NotEvaluated[]) {
    this.#file = file;
    this.#limit = limit;
    this.#out = out;
  }

  add(line: number, reason: NotEvaluated['reason'], detail: string | undefined, count?: number): void {
    const file = this.#file;
    const shown = this.#listed.get(reason) ?? 0;
    if (count === undefined && shown < this.#limit) {
      this.#listed.set(reason, shown + 1);
      this.#out.push({
        path: `${file}:${line}`,
        reason,
        ...(detail !== undefined && { detail }),
        location: { file, line },
      });
      return;
    }
    const tally = this.#unlisted.get(reason);
    if (tally) tally.count += count ?? 1;
    else this.#unlisted.set(reason, { line, count: count ?? 1 });
  }

  /** Add the counting entries; once, after the last line. */
  finish(): void {
    const file = this.#file;
    for (const [reason, { line, count }] of this.#unlisted) {
      const detail = `this and ${count - 1} later lines with the same reason: counted, not listed one by one`;
      this.#out.push({ path: `${file}:${line}`, reason, detail, location: { file, line }, count });
    }
  }
}

/**
 * Only whitespace (what String#trim removes), without making the trimmed copy. A line that starts
 * with a visible ASCII character, as nearly every log line does, is decided without the pattern.
 */
function blank(text: string): boolean {
  const first = text.charCodeAt(0);
  return !(first > 0x20 && first < 0x7f) && /^\s*$/.test(text);
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

/** Everything one log auditor needs, as plain data (it crosses into worker threads). */
export interface LogSettings {
  policy: PolicySet;
  fields: Partial<Record<Field, string>>;
  uploadPath: RegExp;
  root?: string;
  maxLineBytes: number;
  listedPerReason: number;
  /** The run's clock reading, for suppression expiry (the same in every thread). */
  nowMs: number;
}

/** A log, or a byte range of one that starts at a line start (a part read by a worker). */
export interface LogPart {
  file: string;
  range?: { start: number; end: number };
  /** The format, when an earlier part already decided it; detected from the lines otherwise. */
  format?: LogFormat;
}

/** What auditing a log part found. Line numbers count from the part's first line. */
export interface LogPartResult {
  counters: Counters;
  findings: Finding[];
  notEvaluated: NotEvaluated[];
  /** Lines in the part: the offset of the next part's line numbers. */
  lines: number;
}

/** Audits the lines of logs (or of parts of them) with the rules, the policy and suppressions. */
export class LogAuditor {
  readonly #settings: LogSettings;
  readonly #policies: PolicyResolver;
  readonly #suppressor: Suppressor;
  readonly #ctx: InspectContext;

  readonly #detach: boolean;

  /**
   * In a worker, `keepsFindings: false`: its findings are copied when they are posted to the main
   * thread, so they need not be detached from their lines first (that is ~7% of auditing an
   * access log where 4% of the lines are attacks).
   */
  constructor(settings: LogSettings, { keepsFindings = true } = {}) {
    this.#settings = settings;
    this.#detach = keepsFindings;
    this.#policies = new PolicyResolver(settings.policy);
    this.#suppressor = new Suppressor(settings.policy.suppressions, settings.nowMs);
    const bounds = settings.policy.bounds;
    this.#ctx = {
      rootReal: settings.root ?? '/',
      limits: bounds,
      buffer: Buffer.allocUnsafe(64 * 1024 + bounds.maxSniffBytes + bounds.maxTailBytes),
    };
  }

  async audit(part: LogPart): Promise<LogPartResult> {
    const { fields, uploadPath, root, maxLineBytes, listedPerReason } = this.#settings;
    const { file } = part;
    const result: LogPartResult = { counters: emptyCounters(), findings: [], notEvaluated: [], lines: 0 };
    const { counters } = result;
    const findings = new FindingTally(result.findings);
    let format = part.format;
    const unevaluated = new NotEvaluatedLines(file, listedPerReason, result.notEvaluated);
    const skip = (line: number, reason: NotEvaluated['reason'], detail: string): void =>
      unevaluated.add(line, reason, detail);
    lines: for await (const batch of splitLineBatches(logBytes(file, part.range), maxLineBytes)) {
      for (const line of batch) {
        result.lines = line.number;
        counters.entries++;
        if ('error' in line) {
          skip(line.number, 'malformed-line', `the log could not be read further: ${line.error}`);
          break lines;
        }
        if ('tooLong' in line) {
          skip(line.number, 'line-too-long', `${line.tooLong} bytes (limit ${maxLineBytes})`);
          continue;
        }
        counters.bytes += line.bytes;
        const { text } = line;
        if (blank(text)) continue;
        format ??= detectFormat(text);
        const parsed =
          format === 'jsonl'
            ? parseJsonLine(text, fields)
            : format === 'combined'
              ? parseCombinedLine(text, uploadPath)
              : 'not a JSON Lines or combined-format line';
        if (parsed === undefined) {
          counters.excluded++;
          continue;
        }
        if (typeof parsed === 'string') {
          skip(line.number, 'malformed-line', parsed);
          continue;
        }
        const record = uploadRecord(parsed);
        if (!record) continue;
        counters.files++;
        if (root !== undefined && parsed.storedPath !== undefined) {
          const problem = await addStoredFacts(record, parsed.storedPath, root, this.#ctx);
          if (problem) skip(line.number, 'missing', problem);
        }
        counters.evaluated++;
        for (const pending of evaluate(record, this.#policies.forPath(parsed.storedPath ?? record.path))) {
          const finding = finalize(pending, parsed.sha256);
          finding.location = { file, line: line.number };
          if (parsed.client !== undefined) finding.client = parsed.client;
          if (parsed.user !== undefined) finding.user = parsed.user;
          if (this.#detach) detach(finding);
          this.#suppressor.apply(finding);
          findings.add(finding);
        }
      }
    }
    unevaluated.finish();
    return result;
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
  const counters = emptyCounters();
  const findings: Finding[] = [];
  const tally = new FindingTally(findings);
  const notEvaluated: NotEvaluated[] = [];
  for (const file of options.files) checkReadable(file);
  for (const file of options.files) {
    const whole: LogPart = { file, ...(options.format !== undefined && { format: options.format }) };
    const threads = options.concurrency ?? 1;
    const parts =
      threads > 1
        ? splitLog(whole, threads * PARTS_PER_THREAD, settings.maxLineBytes, options.parallelMinBytes)
        : undefined;
    const results = parts
      ? await auditInParallel(parts, settings, threads, auditor)
      : [await auditor.audit(whole)];
    // Each part lists its first lines of a reason; the log as a whole lists its first ones.
    const unevaluated = new NotEvaluatedLines(file, settings.listedPerReason, notEvaluated);
    let offset = 0;
    for (const part of results) {
      addCounters(counters, part.counters);
      for (const finding of part.findings) {
        finding.location!.line += offset;
        tally.add(finding);
      }
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
    counters,
    findings,
    notEvaluated,
  });
}
