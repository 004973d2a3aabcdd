import { closeSync } from 'node:fs';
import { Auditor, unseenContent } from '../../audit/auditor.js';
import { stateLine, storedFindings } from '../../incremental/session.js';
import { EntryHash, type TableData, VerdictTable } from '../../incremental/table.js';
import { type Counters, emptyCounters } from '../../model/counters.js';
import type { Finding, NotEvaluated } from '../../model/types.js';
import type { PolicySet } from '../../policy/policy.js';
import { errnoCode } from '../../util/errors.js';
import { pathMatcher } from '../../util/globs.js';
import { shardOf } from '../../util/shard.js';
import { type ChangeKey, changeKeyOf, RACY_MARGIN_MS } from './change-key.js';
import { entryFacts, type InspectContext } from './entry.js';
import {
  type CheckedFolder,
  type DirectoryEntry,
  type DirectoryJob,
  entryAt,
  entryPathIn,
  jobFor,
  LIST_LIMIT,
  type Listing,
  listDirectory,
  openJobFolder,
} from './listing.js';

/** Everything a scan needs to know, as plain data (it crosses into worker threads). */
export interface ScanSettings {
  rootReal: string;
  policy: PolicySet;
  include: string[];
  exclude: string[];
  /** The run's clock reading, for suppression expiry (the same in every thread). */
  nowMs: number;
  /** Only entries whose path hashes to this shard are counted and inspected; folders are walked by all. */
  shard?: { index: number; count: number };
  /** Entries a folder may have and still be listed and sorted first (default LIST_LIMIT). */
  listLimit?: number;
  /** Set when the run keeps a state file: the previous run's verdicts, if usable. */
  incremental?: {
    previous?: { table: TableData; startedMs: number };
    ignoreCtime: boolean;
    /** Entries changed this near the previous run's start are read again (default RACY_MARGIN_MS). */
    racyMarginMs?: number;
  };
}

/** What one folder (or slice) adds to the new state file, and what it skipped. */
export interface StateLines {
  /** `hex\n` or `hex findings-json\n` per regular file evaluated. */
  lines: string;
  entries: number;
  reused: number;
  reread: number;
}

export interface DirectoryResult {
  /** What is left to scan: the subfolders found, and the later slices of a large folder. */
  more: DirectoryJob[];
  findings: Finding[];
  notEvaluated: NotEvaluated[];
  counters: Counters;
  /** Only when the run keeps a state file. */
  state?: StateLines;
}

/**
 * Entries scanned as one unit of work: a folder of more is cut into slices of this many, which
 * other threads can take (a flat folder of 100,000 uploads was scanned by one thread, and all
 * its entries were made at once).
 */
export const ENTRIES_PER_SLICE = 1000;

/** The slice of a listing from `start`, ENTRIES_PER_SLICE entries at most. */
const sliceOf = ({ names, kinds }: Listing, start: number): Listing => ({
  names: names.slice(start, start + ENTRIES_PER_SLICE),
  kinds: kinds.slice(start, start + ENTRIES_PER_SLICE),
});

/**
 * Entries read from a streamed folder at its turn: sixteen slices, enough for other threads to
 * share (with a lower --list-limit, that many entries, but at least one slice).
 */
const STREAM_BATCH = 16 * ENTRIES_PER_SLICE;

/**
 * Scan `listing` (of `job`'s folder) a slice at a time: the first slice is returned to scan now,
 * the others are added to `more` as jobs of their own (without the folder's stream, if any).
 */
function firstSlice(job: DirectoryJob, listing: Listing, more: DirectoryJob[]): Listing {
  if (listing.names.length <= ENTRIES_PER_SLICE) return listing;
  const { stream: _stream, ...folder } = job;
  for (let start = ENTRIES_PER_SLICE; start < listing.names.length; start += ENTRIES_PER_SLICE)
    more.push({ ...folder, slice: sliceOf(listing, start) });
  return sliceOf(listing, 0);
}

/** Processes directories one at a time; one per thread. */
export class DirectoryScanner {
  readonly #auditor: Auditor;
  readonly #inspect: InspectContext;
  readonly #isExcluded: (path: string) => boolean;
  readonly #isIncluded: (path: string) => boolean;
  readonly #shard: ScanSettings['shard'];
  readonly #listLimit: number;
  readonly #streamBatch: number;
  readonly #incremental: ScanSettings['incremental'];
  readonly #previous: VerdictTable | undefined;
  /** One per scanner: an entry's hash is used before the next entry's is made. */
  readonly #hash = new EntryHash();

  constructor(settings: ScanSettings) {
    this.#auditor = new Auditor(settings.policy, settings.nowMs);
    this.#shard = settings.shard;
    this.#listLimit = settings.listLimit ?? LIST_LIMIT;
    this.#streamBatch = Math.min(STREAM_BATCH, Math.max(ENTRIES_PER_SLICE, this.#listLimit));
    this.#inspect = { rootReal: settings.rootReal, limits: settings.policy.bounds };
    this.#incremental = settings.incremental;
    const previous = settings.incremental?.previous;
    this.#previous = previous && new VerdictTable(previous.table);
    this.#isExcluded = pathMatcher(settings.exclude) ?? (() => false);
    this.#isIncluded = pathMatcher(settings.include) ?? (() => true);
  }

  async scan(job: DirectoryJob): Promise<DirectoryResult> {
    const result: DirectoryResult = {
      more: [],
      findings: [],
      notEvaluated: [],
      counters: emptyCounters(),
    };
    if (this.#incremental) result.state = { lines: '', entries: 0, reused: 0, reread: 0 };
    // The folder is listed, and its files opened, through one handle checked to be inside the
    // root: a parent swapped for a symlink meanwhile cannot lead a file's open outside it.
    let folder: CheckedFolder;
    try {
      folder = openJobFolder(job);
    } catch (error) {
      job.stream?.close();
      return this.#unlisted(job, error, result);
    }
    try {
      const listing = this.#listing(job, folder, result);
      if (!listing) return result;
      for (let i = 0; i < listing.names.length; i++) {
        const entry = entryAt(job, listing, i);
        await this.#entry(entry, result, entryPathIn(folder, listing.names[i]!));
      }
      return result;
    } finally {
      closeSync(folder.fd);
    }
  }

  /** What to scan of the job now (the rest is added to `result.more`); undefined when it cannot be listed. */
  #listing(job: DirectoryJob, folder: CheckedFolder, result: DirectoryResult): Listing | undefined {
    if (job.stream) {
      // A folder too large to list at once: its next batch now, the rest at its next turn.
      let batch: Listing;
      try {
        batch = job.stream.read(this.#streamBatch);
      } catch (error) {
        this.#unlisted(job, error, result);
        return undefined;
      }
      if (!job.stream.done) result.more.push(job);
      return firstSlice(job, batch, result.more);
    }
    if (job.slice) return job.slice;
    let listed: ReturnType<typeof listDirectory>;
    try {
      listed = listDirectory(job, this.#listLimit, folder);
    } catch (error) {
      this.#unlisted(job, error, result);
      return undefined;
    }
    // Below the slices of what was listed, so they are scanned (or shared) before reading on.
    if (listed.rest) result.more.push({ ...job, stream: listed.rest });
    // A large folder is scanned in slices: this one now, the others later or by other threads.
    return firstSlice(job, listed, result.more);
  }

  /** A folder that could not be listed: not evaluated, by its own shard only. */
  #unlisted(job: DirectoryJob, error: unknown, result: DirectoryResult): DirectoryResult {
    // Every shard lists every folder; only the folder's own shard reports that it could not.
    if (this.#shard && shardOf(job.rawPath ?? job.path, this.#shard.count) !== this.#shard.index)
      return result;
    const code = errnoCode(error);
    const reason =
      code === 'ENOENT' ? 'vanished' : code === 'ESCAPED' ? 'changed-type' : 'unreadable-directory';
    const detail = code === 'ESCAPED' ? (error as Error).message : (code ?? 'read error');
    result.notEvaluated.push(withRaw({ path: job.path || '.', reason, detail }, job));
    return result;
  }

  /** `inFolder`: the path that opens the entry through its folder's checked handle. */
  async #entry(entry: DirectoryEntry, result: DirectoryResult, inFolder: string | Buffer): Promise<void> {
    const { counters } = result;
    if (this.#shard && shardOf(entry.rawPath ?? entry.path, this.#shard.count) !== this.#shard.index) {
      // Another shard owns this entry; every shard still walks into folders to find its own.
      if (entry.kind === 'directory' && !this.#isExcluded(entry.path)) result.more.push(jobFor(entry));
      return;
    }
    if (this.#isExcluded(entry.path) || (entry.kind !== 'directory' && !this.#isIncluded(entry.path))) {
      counters.excluded++;
      return;
    }
    counters.entries++;
    if (entry.kind === 'file') counters.files++;
    else if (entry.kind === 'directory') counters.directories++;
    else if (entry.kind === 'symlink') counters.symlinks++;
    else counters.other++;

    // An incremental rescan: a regular file whose change key is the stored one is not opened.
    const key = entry.kind === 'file' && this.#incremental ? this.#changeKey(entry) : undefined;
    if (key && this.#reuse(key, result)) return;

    const outcome = entryFacts(entry, this.#inspect, inFolder);
    const file = outcome.file;
    if (outcome.status === 'not-evaluated') {
      result.notEvaluated.push(
        withRaw({ path: entry.path, reason: outcome.reason, detail: outcome.detail }, entry),
      );
    }
    if (!file) return;
    if (file.kind === 'file') counters.bytes += file.size;
    if (file.kind === 'directory' && outcome.status === 'ok') result.more.push(jobFor(entry, file.size));

    const source = outcome.status === 'ok' ? outcome.source : undefined;
    try {
      const findings = await this.#auditor.audit({ facts: file, ...(source && { bytes: source }) });
      for (const finding of findings) result.findings.push(finding);
      if (outcome.status === 'ok') {
        const unseen = unseenContent(entry.path, file);
        if (unseen) result.notEvaluated.push(withRaw(unseen, entry));
        else {
          counters.evaluated++;
          if (file.kind === 'file') {
            counters.filesEvaluated++;
            counters.bytesEvaluated += file.size;
          }
          // Only what was read whole is stored: an entry not evaluated is tried again next run.
          if (key) record(result.state!, key.hex, findings, 'reread');
        }
      }
    } finally {
      source?.close();
    }
  }

  #changeKey(entry: DirectoryEntry): StoredKey | undefined {
    const key = changeKeyOf(entry.fsPath, this.#incremental!.ignoreCtime);
    if (key === undefined) return undefined;
    // Raw bytes for a name that is not valid UTF-8: its printable path may stand for others.
    const name = entry.rawPath ? `b:${entry.rawPath.toString('base64')}` : `p:${entry.path}`;
    const { hi, lo, hex } = this.#hash.of(name, key.values);
    return { size: key.size, changedMs: key.changedMs, hi, lo, hex };
  }

  /** Take the stored verdict of an unchanged file, suppressions applied anew; false to read it. */
  #reuse(key: StoredKey, result: DirectoryResult): boolean {
    const previous = this.#incremental!.previous;
    // Changed so near the last run's start that the key may not show a change: read it.
    const margin = this.#incremental!.racyMarginMs ?? RACY_MARGIN_MS;
    if (!previous || key.changedMs >= previous.startedMs - margin) return false;
    const stored = this.#previous!.get(key.hi, key.lo);
    if (stored === undefined) return false;
    const findings = stored.clean ? [] : storedFindings(stored.findingsJson);
    if (findings === undefined) return false; // an unreadable verdict: read the file instead
    this.#auditor.resuppress(findings);
    result.counters.evaluated++;
    result.counters.filesEvaluated++;
    result.counters.bytes += key.size;
    result.counters.bytesEvaluated += key.size;
    for (const finding of findings) result.findings.push(finding);
    record(result.state!, key.hex, findings, 'reused');
    return true;
  }
}

/** A regular file's change key as a state holds it: hashed with its name. */
interface StoredKey extends Omit<ChangeKey, 'values'> {
  hi: number;
  lo: number;
  hex: string;
}

/** Add an entry's verdict to the new state: its findings as found, before any suppression. */
function record(state: StateLines, hex: string, findings: Finding[], how: 'reused' | 'reread'): void {
  state.entries++;
  state[how]++;
  state.lines += stateLine(hex, findings);
}

function withRaw(item: NotEvaluated, from: { rawPath?: Buffer }): NotEvaluated {
  if (from.rawPath !== undefined) item.pathBase64 = from.rawPath.toString('base64');
  return item;
}

/** A folder scan that failed, with the folder it failed in. */
export class ScanFailure extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Where one thread's walk reports to, and what it may ask for. */
export interface Walker {
  /** One folder (or slice of one) done; what it left to scan is already on the walking thread's stack. */
  result(path: string, result: DirectoryResult): void;
  /** Folders and slices handed over for a thread that waits. */
  share(jobs: DirectoryJob[]): void;
}

/**
 * The walk every scanning thread does: depth first from a stack of its own, so it never waits
 * between folders; when some thread is idle (`hungry`), it shares the oldest (largest) half of
 * its stack, except a folder stream, which holds a handle of this thread. Throws a ScanFailure
 * naming the folder that failed; handles still open on the stack are closed either way.
 */
export async function walkFolders(
  scanner: DirectoryScanner,
  stack: DirectoryJob[],
  hungry: Int32Array,
  walker: Walker,
): Promise<void> {
  try {
    for (let job = stack.pop(); job; job = stack.pop()) {
      try {
        const result = await scanner.scan(job);
        for (const next of result.more) stack.push(next);
        result.more = [];
        walker.result(job.path, result);
      } catch (error) {
        job.stream?.close();
        throw new ScanFailure(job.path, error);
      }
      if (stack.length > 1 && Atomics.load(hungry, 0) > 0) share(stack, walker);
    }
  } finally {
    for (const job of stack) job.stream?.close();
  }
}

/** Hand the oldest half of the stack to the walker, leaving the folder streams where they are. */
function share(stack: DirectoryJob[], walker: Walker): void {
  const half = Math.ceil(stack.length / 2);
  const shared = stack.slice(0, half).filter((job) => job.stream === undefined);
  if (shared.length === 0) return;
  const kept = stack.slice(0, half).filter((job) => job.stream !== undefined);
  stack.splice(0, half, ...kept);
  walker.share(shared);
}
