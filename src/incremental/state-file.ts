/**
 * The state file of incremental rescans (`scan --state FILE`): what the last run concluded of
 * each regular file it read, so that the next run can skip the files that did not change.
 *
 * Text, one line per entry, read and written as a stream:
 *
 *   {"format":"upload-audit-state","formatVersion":1,...}      the header: what the verdicts hold for
 *   0123456789abcdef                                             an entry that had no findings
 *   0123456789abcdef [{"ruleId":...}]                            an entry's findings, unsuppressed
 *   {"end":2}                                                    the trailer: how many entries
 *
 * Each entry is the 64-bit hash of its name and change key (table.ts), so a file of a million
 * entries is ~17 MB and its verdicts need no per-entry object in memory. The file is written to
 * a temporary name, fsync'ed and renamed over the old one: a kill at any point leaves the old
 * state or the new one, never half of one. A state that does not fit this run (other tool
 * version, policy, root, shard or ctime setting) or that is damaged is not used: every entry is
 * read, and the run says why. A file that is not a state file at all is an error (exit 2), so a
 * mistyped path never overwrites something else.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoCode, InputError, writeReason } from '../util/errors.js';
import { TableBuilder, type TableData } from './table.js';

export const STATE_FORMAT = 'upload-audit-state';
export const STATE_FORMAT_VERSION = 1;

/** What the verdicts of a state file were made under; a run uses them only if all of it matches. */
export interface StateHeader {
  format: typeof STATE_FORMAT;
  formatVersion: number;
  /** The tool's version: another version may judge the same bytes otherwise. */
  tool: string;
  /** A digest of the policy's rules, limits and bounds (suppressions are applied anew each run). */
  policy: string;
  source: 'directory' | 'bucket';
  root: string;
  /** "K/N" for one shard's state, null for a whole tree. */
  shard: string | null;
  ignoreCtime: boolean;
  /** When that run started (ms since the epoch): entries changed near it are read again. */
  startedMs: number;
}

/** What a run found of its state file. */
export type LoadedState =
  | { usable: true; header: StateHeader; table: TableData; entries: number }
  | { usable: false; why: string };

const CHUNK = 1024 * 1024;

/**
 * The file's whole lines, a chunk of them at a time (each ends with its newline, but a last line
 * that has none), without holding the whole file: a state of a million entries is ~17 MB.
 */
function* chunksOfLines(fd: number): Generator<Buffer> {
  const chunk = Buffer.alloc(CHUNK);
  let carry = Buffer.alloc(0);
  for (let position = 0; ; ) {
    const read = readSync(fd, chunk, 0, CHUNK, position);
    if (read === 0) break;
    position += read;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
    const whole = data.lastIndexOf(0x0a) + 1;
    // The unfinished last line is kept (copied: the chunk is reused by the next read).
    carry = Buffer.from(data.subarray(whole));
    if (whole > 0) yield data.subarray(0, whole);
  }
  if (carry.length > 0) yield carry;
}

/** Each byte's value as a lowercase hex digit, or -1. */
const HEX_DIGIT = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d++) HEX_DIGIT['0123456789abcdef'.charCodeAt(d)] = d;

/** The value of the 8 lowercase hex digits at `at`, or -1 when they are not. */
function hex32(bytes: Uint8Array, at: number): number {
  let value = 0;
  for (let i = at; i < at + 8; i++) {
    const digit = HEX_DIGIT[bytes[i]!]!;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** What differs between a stored header and this run's, in words; undefined when it fits. */
function mismatch(stored: StateHeader, expected: Omit<StateHeader, 'startedMs'>): string | undefined {
  if (stored.formatVersion !== expected.formatVersion)
    return `it is of state format ${stored.formatVersion}, this tool writes ${expected.formatVersion}`;
  if (stored.tool !== expected.tool) return `it was written by upload-audit ${stored.tool}`;
  if (stored.source !== expected.source || stored.root !== expected.root)
    return `it is the state of another ${stored.source === expected.source ? 'folder' : 'source'} (${stored.root})`;
  if (stored.shard !== expected.shard)
    return `it is the state of ${stored.shard === null ? 'a whole tree' : `shard ${stored.shard}`}`;
  if (stored.policy !== expected.policy) return 'the policy changed since it was written';
  if (stored.ignoreCtime !== expected.ignoreCtime)
    return `it was written ${stored.ignoreCtime ? 'with' : 'without'} --ignore-ctime`;
  return undefined;
}

function parseHeader(line: string, file: string): StateHeader {
  let header: unknown;
  try {
    header = JSON.parse(line);
  } catch {
    header = undefined;
  }
  const h = header as Partial<StateHeader> | undefined;
  if (h === null || typeof h !== 'object' || h.format !== STATE_FORMAT)
    throw new InputError(`'${file}' is not an upload-audit state file (it was not overwritten)`);
  if (typeof h.startedMs !== 'number' || typeof h.formatVersion !== 'number')
    throw new InputError(`'${file}' is not an upload-audit state file (it was not overwritten)`);
  return h as StateHeader;
}

/** The entry count of a state's end line (`{"end":N}`, the file's last line); undefined without one. */
function endCount(fd: number, size: number): number | undefined {
  const tail = Buffer.alloc(Math.min(size, 64));
  readSync(fd, tail, 0, tail.length, size - tail.length);
  const end = /\{"end":(\d+)\}\n?$/.exec(tail.toString('latin1'));
  return end ? Number(end[1]) : undefined;
}

/**
 * The entry lines from `start` of `data` on, and of the chunks after it, into `table`; undefined
 * when they end with an end line that counts them, else what is wrong. Lines are read in place,
 * as offsets into their chunk: a million Buffer views, one a line, were most of a load's time.
 */
function readEntries(
  chunks: Generator<Buffer>,
  data: Buffer,
  start: number,
  table: TableBuilder,
): string | undefined {
  let ended: number | undefined;
  for (; data.length > 0; data = chunks.next().value ?? Buffer.alloc(0), start = 0) {
    for (let end = 0; start < data.length; start = end + 1) {
      // Most lines are a bare hash: 16 digits and a newline, found without a search.
      end = data[start + 16] === 0x0a ? start + 16 : data.indexOf(0x0a, start);
      if (end === -1) end = data.length;
      if (ended !== undefined) return 'lines after its end';
      const length = end - start;
      const hi = length >= 16 ? hex32(data, start) : -1;
      const lo = hi >= 0 ? hex32(data, start + 8) : -1;
      if (lo >= 0 && (length === 16 || data[start + 16] === 0x20)) {
        if (table.count >= table.capacity) return `more entries than its end line says, ${table.capacity}`;
        table.add(hi, lo, length === 16 ? undefined : data.subarray(start + 17, end));
        continue;
      }
      const endLine = /^\{"end":(\d+)\}$/.exec(data.toString('latin1', start, end));
      if (!endLine) return `line ${table.count + 2}`;
      ended = Number(endLine[1]);
    }
  }
  if (ended === undefined) return 'cut short: no end line';
  if (ended !== table.count) return `${table.count} entries, its end line says ${ended}`;
  return undefined;
}

/**
 * Read a state file for a run whose own header would be `expected`. A missing file is a first
 * run; a file that is not a state file is an InputError; anything else that keeps it from being
 * trusted is `{ usable: false, why }`.
 */
export function loadState(file: string, expected: Omit<StateHeader, 'startedMs'>): LoadedState {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return { usable: false, why: 'there is no state yet (first run)' };
    throw new InputError(`cannot read state file '${file}': ${code ?? String(error)}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new InputError(`cannot read state file '${file}': not a regular file`);
    const chunks = chunksOfLines(fd);
    const first: Buffer = chunks.next().value ?? Buffer.alloc(0);
    const headerEnd = first.indexOf(0x0a) === -1 ? first.length : first.indexOf(0x0a);
    const header = parseHeader(first.toString('utf8', 0, headerEnd), file);
    const differs = mismatch(header, expected);
    if (differs !== undefined) return { usable: false, why: differs };
    // The end line says how many entries there are: the table is sized once, for them (sized
    // by the file's length instead, a million entries took twice the memory they need).
    const capacity = endCount(fd, fstatSync(fd).size);
    if (capacity === undefined) return { usable: false, why: 'it is damaged (cut short: no end line)' };
    const table = new TableBuilder(capacity);
    const damage = readEntries(chunks, first, headerEnd + 1, table);
    if (damage !== undefined) return { usable: false, why: `it is damaged (${damage})` };
    return { usable: true, header, table: table.finish(), entries: table.count };
  } finally {
    closeSync(fd);
  }
}

/** Whether a process of this id runs (a kill -9'd writer's does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** Temporary states left by writers killed before their rename: never read, only removed. */
function removeStaleTemps(file: string): void {
  const prefix = `.${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return; // the writer's own open says what is wrong with the folder
  }
  for (const name of names) {
    const pid =
      name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length, -4)) : Number.NaN;
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(join(dirname(file), name), { force: true });
  }
}

/** Writes a new state beside the old one and puts it in place only when it is whole. */
export class StateWriter {
  readonly #temp: string;
  #fd: number | undefined;
  #entries = 0;
  #pending: string[] = [];
  #pendingBytes = 0;

  constructor(
    readonly file: string,
    header: StateHeader,
  ) {
    this.#temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
    removeStaleTemps(file);
    try {
      // 0600: whoever can write a state can make the next run skip a file.
      this.#fd = openSync(this.#temp, 'wx', 0o600);
    } catch (error) {
      throw new InputError(`cannot write state file '${file}': ${writeReason(error)}`);
    }
    this.#write(`${JSON.stringify(header)}\n`);
  }

  /** Lines of entries (each `hex\n` or `hex json\n`), as a scan thread made them. */
  add(lines: string, entries: number): void {
    this.#entries += entries;
    this.#pending.push(lines);
    this.#pendingBytes += lines.length;
    if (this.#pendingBytes >= CHUNK) this.#flush();
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    this.#write(this.#pending.join(''));
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #write(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    for (let at = 0; at < bytes.length; ) at += writeSync(this.#fd!, bytes, at, bytes.length - at);
  }

  /** Finish the file, make it durable, and put it in place of the old state. */
  commit(): void {
    try {
      this.#flush();
      this.#write(`{"end":${this.#entries}}\n`);
      fsyncSync(this.#fd!);
      closeSync(this.#fd!);
      this.#fd = undefined;
      renameSync(this.#temp, this.file);
      const folder = openSync(dirname(this.file), 'r');
      try {
        fsyncSync(folder);
      } finally {
        closeSync(folder);
      }
    } catch (error) {
      this.abandon();
      throw new InputError(`cannot write state file '${this.file}': ${writeReason(error)}`);
    }
  }

  /** The run failed: the old state stays as it was. */
  abandon(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    rmSync(this.#temp, { force: true });
  }
}
