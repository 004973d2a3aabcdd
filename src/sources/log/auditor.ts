/**
 * Auditing the lines of a log (or of a part of one, in a worker thread): each line is parsed by
 * its format into an upload record, the record becomes an item's facts (with what is on disk
 * at its stored path, given --root), and the one Auditor judges it.
 */
import { Auditor, FindingTally } from '../../audit/auditor.js';
import { analyzeName, climbsOut, decodeRepeatedly, lastComponent } from '../../inspect/names.js';
import { type Counters, emptyCounters } from '../../model/counters.js';
import type { Finding, InspectedFile, NotEvaluated } from '../../model/types.js';
import type { PolicySet } from '../../policy/policy.js';
import { envelopeOf } from './envelope.js';
import { detectFormat, FORMATS, LOG_FORMATS, type LogFormat } from './formats.js';
import type { Field } from './jsonl.js';
import { detached, logBytes, splitLineBatches } from './lines.js';
import type { UploadRecord } from './record.js';
import { folderStore, type StoredFiles } from './stored.js';

const NO_FORMAT = `not a line of any log format upload-audit reads (${LOG_FORMATS.join(', ')})`;
/** Enveloped lines held back before the format is known; past this many they are malformed. */
const MAX_PREAMBLE_LINES = 1000;

/** A client name's final component once decoded: what a server would store it as. */
const clientBaseName = (name: string): string => lastComponent(decodeRepeatedly(name).decoded);

/**
 * An upload record as a rule input: kind `upload`, the client's name, what it declared. A
 * request that ran a script inside an upload folder is kind `request`, named by that script.
 * Undefined when the log holds no name for the upload (an access log's multipart POST): the
 * request path names the endpoint, not the file, and is never judged as a name.
 */
export function uploadRecord(record: UploadRecord): InspectedFile | undefined {
  if (record.executed) return requestFacts(record, record.executed);
  const name = record.filename ?? (record.storedPath && lastComponent(record.storedPath));
  if (name === undefined) return undefined;
  // Plain assignments, not conditional spreads: this runs once per log line.
  const declared: NonNullable<InspectedFile['declared']> = {};
  if (record.contentType !== undefined) declared.contentType = record.contentType;
  if (record.size !== undefined) declared.size = record.size;
  if (record.accepted !== undefined) declared.accepted = record.accepted;
  // Without --root, a stored path that climbs with `..` is still outside wherever it started.
  if (record.storedPath !== undefined && climbsOut(record.storedPath))
    declared.storedOutside = record.storedPath;
  const file: InspectedFile = {
    path: name,
    kind: 'upload',
    name,
    size: record.size ?? 0,
    nameInfo: analyzeName(clientBaseName(name)),
    declared,
  };
  if (name.includes('\uFFFD')) file.invalidUtf8Name = true;
  return file;
}

/** A request that ran a script inside an upload folder, as facts of kind `request`. */
function requestFacts(record: UploadRecord, executed: NonNullable<UploadRecord['executed']>): InspectedFile {
  const path = record.requestPath ?? executed.script;
  const request: NonNullable<InspectedFile['request']> = { method: executed.method, status: executed.status };
  if (record.client !== undefined) request.client = record.client;
  // An empty time (a JSON or logfmt log without one) is as unknown as a missing one.
  if (record.timestamp) request.time = record.timestamp;
  if (executed.command !== undefined) request.command = executed.command;
  if (executed.include !== undefined) request.include = executed.include;
  return {
    path,
    kind: 'request',
    name: path,
    size: 0,
    nameInfo: analyzeName(clientBaseName(executed.script)),
    request,
  };
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

export class NotEvaluatedLines {
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
  /** With the format: the program or stream of the envelope it was found in (envelope.ts). */
  source?: string;
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
  readonly #auditor: Auditor;
  /** Where stored files are looked up (--root), if anywhere. */
  readonly #stored: StoredFiles | undefined;

  readonly #detach: boolean;

  /**
   * In a worker, `keepsFindings: false`: its findings are copied when they are posted to the main
   * thread, so they need not be detached from their lines first (that is ~7% of auditing an
   * access log where 4% of the lines are attacks).
   */
  constructor(
    settings: LogSettings,
    { keepsFindings = true, stored }: { keepsFindings?: boolean; stored?: StoredFiles } = {},
  ) {
    this.#settings = settings;
    this.#detach = keepsFindings;
    this.#auditor = new Auditor(settings.policy, settings.nowMs);
    this.#stored =
      stored ??
      (settings.root === undefined ? undefined : folderStore(settings.root, settings.policy.bounds));
  }

  async audit(part: LogPart): Promise<LogPartResult> {
    const { fields, uploadPath, maxLineBytes, listedPerReason } = this.#settings;
    const stored = this.#stored;
    const options = { fields, uploadPath, state: {} };
    const { file } = part;
    const result: LogPartResult = { counters: emptyCounters(), findings: [], notEvaluated: [], lines: 0 };
    const { counters } = result;
    const findings = new FindingTally(result.findings);
    let format = part.format;
    // The program or stream whose lines are the access log, when lines come in envelopes.
    let source = part.source;
    // Enveloped lines read before any line showed the format (a container's start-up messages,
    // another program's syslog lines): they are the log's preamble once an access-log line
    // follows, excluded; malformed if none ever does.
    const preamble: number[] = [];
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
        const envelope = envelopeOf(line.text);
        const text = envelope?.message ?? line.text;
        if (blank(text)) continue;
        if (format === undefined) {
          format = detectFormat(text);
          if (format !== undefined) {
            source = envelope?.source;
            counters.excluded += preamble.length;
            preamble.length = 0;
          }
        } else if (envelope !== undefined && source !== undefined && envelope.source !== source) {
          // Another program's line in a syslog file, or a container's stderr: not the access log.
          counters.excluded++;
          continue;
        }
        const parsed = format === undefined ? NO_FORMAT : FORMATS[format].parse(text, options);
        if (parsed === undefined) {
          counters.excluded++;
          continue;
        }
        if (typeof parsed === 'string') {
          if (format === undefined && envelope !== undefined && preamble.length < MAX_PREAMBLE_LINES)
            preamble.push(line.number);
          else skip(line.number, 'malformed-line', parsed);
          continue;
        }
        const record = uploadRecord(parsed);
        if (!record) {
          skip(
            line.number,
            'name-not-logged',
            'an upload whose file name is not in the log (a multipart body): nothing to judge',
          );
          continue;
        }
        if (record.request) {
          counters.other++;
          if (stored && parsed.executed) {
            const present = await stored.scriptStored(parsed.executed.script);
            if (present) record.request.stored = present;
          }
        } else counters.files++;
        // A record whose stored file is gone is still judged by what the log says (its name, its
        // declared type), but it is not evaluated: one state per entry, and this is a gap.
        let problem: string | undefined;
        if (stored && parsed.storedPath !== undefined) {
          problem = await stored.addStoredFacts(record, parsed.storedPath);
          if (problem) skip(line.number, 'missing', problem);
        }
        if (problem === undefined) {
          counters.evaluated++;
          counters.bytesEvaluated += line.bytes;
          if (!record.request) counters.filesEvaluated++;
        }
        const pending = this.#auditor.weigh(record, parsed.storedPath ?? record.path);
        if (pending.length === 0) continue;
        const decorate = (finding: Finding): void => {
          finding.location = { file, line: line.number };
          if (parsed.client !== undefined) finding.client = parsed.client;
          if (parsed.user !== undefined) finding.user = parsed.user;
          if (this.#detach) detach(finding);
        };
        for (const finding of this.#auditor.complete(pending, parsed.sha256, decorate)) findings.add(finding);
      }
    }
    for (const number of preamble) skip(number, 'malformed-line', NO_FORMAT);
    unevaluated.finish();
    return result;
  }
}
