/**
 * One incremental run of any source: the previous state loaded for this run's header, the new
 * state written as entries are judged, and what the run reports of it. A source decides what an
 * entry's change key is and when it trusts it; everything else about states lives here.
 */
import type { Finding, IncrementalSummary } from '../model/types.js';
import type { PolicySet } from '../policy/policy.js';
import { verdictDigest } from '../policy/policy.js';
import { VERSION } from '../util/version.js';
import {
  type LoadedState,
  loadState,
  STATE_FORMAT,
  STATE_FORMAT_VERSION,
  type StateHeader,
  StateWriter,
} from './state-file.js';

export interface SessionOptions {
  file: string;
  policy: PolicySet;
  source: StateHeader['source'];
  root: string;
  shard?: { index: number; count: number } | undefined;
  ignoreCtime?: boolean;
}

/** A state line for one entry: its hash, and its findings as found, before any suppression. */
export function stateLine(hex: string, findings: readonly Finding[]): string {
  if (findings.length === 0) return `${hex}\n`;
  const unsuppressed = findings.map(({ suppressed: _, ...finding }) => finding);
  return `${hex} ${JSON.stringify(unsuppressed)}\n`;
}

/** Findings a state holds for an entry, or undefined when they cannot be read (read it again). */
export function storedFindings(json: string): Finding[] | undefined {
  try {
    const findings: unknown = JSON.parse(json);
    return Array.isArray(findings) ? (findings as Finding[]) : undefined;
  } catch {
    return undefined;
  }
}

export class IncrementalSession {
  /** The previous state, when it fits this run. */
  readonly previous: LoadedState;
  readonly summary: IncrementalSummary;
  readonly #writer: StateWriter;

  /** Loads the previous state (an InputError when the file is no state) and opens the new one. */
  constructor(options: SessionOptions) {
    const header: StateHeader = {
      format: STATE_FORMAT,
      formatVersion: STATE_FORMAT_VERSION,
      tool: VERSION,
      policy: verdictDigest(options.policy),
      source: options.source,
      root: options.root,
      shard: options.shard ? `${options.shard.index}/${options.shard.count}` : null,
      ignoreCtime: options.ignoreCtime ?? false,
      // The wall clock, not a run's (injectable) one: racy entries are judged against file times.
      startedMs: Date.now(),
    };
    const { startedMs: _, ...expected } = header;
    this.previous = loadState(options.file, expected);
    this.summary = {
      mode: this.previous.usable ? 'incremental' : 'full',
      state: options.file,
      ...(!this.previous.usable && { why: this.previous.why }),
      reused: 0,
      reread: 0,
    };
    this.#writer = new StateWriter(options.file, header);
  }

  /** Entries' state lines as a scan thread made them, with how many were reused or read. */
  add(lines: string, counts: { entries: number; reused: number; reread: number }): void {
    this.#writer.add(lines, counts.entries);
    this.summary.reused += counts.reused;
    this.summary.reread += counts.reread;
  }

  /** Run `work`; put the new state in place if it succeeds, leave the old one if it fails. */
  async run(work: () => Promise<void>): Promise<IncrementalSummary> {
    try {
      await work();
      this.#writer.commit();
    } catch (error) {
      this.#writer.abandon();
      throw error;
    }
    return this.summary;
  }
}
