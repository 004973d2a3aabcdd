import { accessSync, closeSync, constants, lstatSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { errnoCode, InputError } from './errors.js';
import { evaluate } from './evaluate.js';
import { finalize } from './fingerprint.js';
import { type InspectContext, inspectEntry } from './inspect/inspect.js';
import { analyzeName, decodeRepeatedly, lastComponent } from './inspect/names.js';
import { defaultPolicySet, PolicyResolver, type PolicySet } from './policy/policy.js';
import { assembleReport } from './report.js';
import { emptyCounters } from './scan/directory-job.js';
import { logBytes, MAX_LOG_LINE_BYTES, splitLineBatches } from './sources/lines.js';
import {
  detectFormat,
  type Field,
  type LogFormat,
  parseCombinedLine,
  parseJsonLine,
  type UploadRecord,
} from './sources/log.js';
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
  now?: () => Date;
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
  const outcome = await inspectEntry(
    { path: rel, name: rel, decodedName: lastComponent(rel), kind: 'file', fsPath: full },
    ctx,
  );
  if (outcome.status !== 'ok') return `stored file ${storedPath}: ${outcome.detail}`;
  if (outcome.fd !== undefined) closeSync(outcome.fd);
  file.declared = { ...file.declared, storedOnDisk: true };
  file.size = outcome.file.size;
  if (outcome.file.detected) file.detected = outcome.file.detected;
  return undefined;
}

/** Only whitespace (what String#trim removes), without making the trimmed copy. */
const blank = (text: string): boolean => text.length === 0 || /^\s*$/.test(text);

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
  const policies = new PolicyResolver(policy);
  const suppressor = new Suppressor(policy.suppressions, started.getTime());
  const ctx: InspectContext = {
    rootReal: options.root ?? '/',
    limits: policy.bounds,
    buffer: Buffer.allocUnsafe(64 * 1024 + policy.bounds.maxSniffBytes + policy.bounds.maxTailBytes),
  };
  const counters = emptyCounters();
  const findings: Finding[] = [];
  const notEvaluated: NotEvaluated[] = [];
  for (const file of options.files) checkReadable(file);
  for (const file of options.files) {
    let format = options.format;
    const skip = (line: number, reason: NotEvaluated['reason'], detail: string): void => {
      notEvaluated.push({ path: `${file}:${line}`, reason, detail, location: { file, line } });
    };
    const maxLineBytes = options.maxLineBytes ?? MAX_LOG_LINE_BYTES;
    lines: for await (const batch of splitLineBatches(logBytes(file), maxLineBytes)) {
      for (const line of batch) {
        counters.entries++;
        if ('error' in line) {
          skip(line.number, 'malformed-line', `the log could not be read further: ${line.error}`);
          break lines;
        }
        if ('tooLong' in line) {
          skip(line.number, 'line-too-long', `${line.tooLong} bytes (limit ${maxLineBytes})`);
          continue;
        }
        counters.bytes += line.text.length;
        const text = line.text.toString('utf8');
        if (blank(text)) continue;
        format ??= detectFormat(text);
        const parsed =
          format === 'jsonl'
            ? parseJsonLine(text, options.fields)
            : format === 'combined'
              ? parseCombinedLine(text, options.uploadPath)
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
        if (options.root !== undefined && parsed.storedPath !== undefined) {
          const problem = await addStoredFacts(record, parsed.storedPath, options.root, ctx);
          if (problem) skip(line.number, 'missing', problem);
        }
        counters.evaluated++;
        for (const pending of evaluate(record, policies.forPath(parsed.storedPath ?? record.path))) {
          const finding = finalize(pending, parsed.sha256);
          finding.location = { file, line: line.number };
          if (parsed.client !== undefined) finding.client = parsed.client;
          if (parsed.user !== undefined) finding.user = parsed.user;
          suppressor.apply(finding);
          findings.push(finding);
        }
      }
    }
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
