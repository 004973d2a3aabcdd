/**
 * The one per-item pipeline every source feeds: an item's facts are evaluated by the rules (with
 * severities from the policy that applies at its path), fingerprinted, and marked by
 * suppressions. `scan`, `log` and `auditOne` (what watch mode and a check server call) all judge
 * items here; nothing in this module knows where an item came from.
 */
import { addCounters, type Counters, emptyCounters } from '../model/counters.js';
import type { Finding, InspectedFile, NotEvaluated, SourceItem } from '../model/types.js';
import { PolicyResolver, type PolicySet } from '../policy/policy.js';
import type { Rule } from '../rules/define.js';
import { evaluate, type PendingFinding } from './evaluate.js';
import { finalize } from './fingerprint.js';
import { Suppressor } from './suppress.js';

let inspect: typeof import('../inspect/inspect.js') | undefined;

export class Auditor {
  readonly #policies: PolicyResolver;
  readonly #suppressor: Suppressor;

  /** `nowMs`: the run's clock reading, for suppression expiry (the same in every thread). */
  constructor(
    readonly policy: PolicySet,
    nowMs: number,
  ) {
    this.#policies = new PolicyResolver(policy);
    this.#suppressor = new Suppressor(policy.suppressions, nowMs);
  }

  /**
   * The whole per-item pipeline: the item's bytes inspected (within the policy's bounds), then
   * weighed, and, for an item with findings, hashed, fingerprinted and marked. The bytes stay the
   * caller's to close.
   */
  async audit(item: SourceItem, decorate?: (finding: Finding) => void): Promise<Finding[]> {
    const { facts, bytes, sha256, contentKey } = item;
    if (!bytes) return this.complete(this.weigh(facts), sha256, decorate);
    // Loaded with the first item that has bytes: file-type and yauzl cost ~40 ms of start-up,
    // which `log` without --root and the other commands never need.
    inspect ??= await import('../inspect/inspect.js');
    await inspect.inspectBytes(bytes, facts, this.policy.bounds);
    const pending = this.weigh(facts);
    if (pending.length === 0) return [];
    const content = sha256
      ? { sha256, key: sha256 }
      : contentKey !== undefined
        ? { key: contentKey }
        : await inspect.contentIdentity(bytes, this.policy.bounds);
    return this.complete(pending, content.sha256, decorate, content.key);
  }

  /**
   * What the rules find in one item's facts, weighed by the policy that applies at `policyPath`
   * (a log record's stored path; the facts' own path otherwise). Most items find nothing, and
   * for them nothing more is done: no content hash is read.
   */
  weigh(facts: InspectedFile, policyPath = facts.path, rules?: readonly Rule[]): PendingFinding[] {
    return evaluate(facts, this.#policies.forPath(policyPath), rules);
  }

  /**
   * Findings judged by an earlier run (an incremental rescan's stored verdict, unsuppressed):
   * marked by today's suppressions, whose dates and paths may have changed since.
   */
  resuppress(findings: Finding[]): void {
    for (const finding of findings) this.#suppressor.apply(finding);
  }

  /**
   * The findings: fingerprinted with the content's sha256, given the source's own facts by
   * `decorate` (a log's line and client), then marked by suppressions.
   */
  complete(
    pending: PendingFinding[],
    sha256: string | undefined,
    decorate?: (f: Finding) => void,
    contentKey = sha256,
  ): Finding[] {
    const findings: Finding[] = [];
    for (const draft of pending) {
      const finding = finalize(draft, sha256, contentKey);
      decorate?.(finding);
      this.#suppressor.apply(finding);
      findings.push(finding);
    }
    return findings;
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The Auditor of a long-running process (serve, watch). Making one compiles the policy's globs
 * and suppressions, so it is made once, not per request or file; but a suppression expires at
 * the end of a UTC day, so a new one is made when the day changes.
 */
export class DailyAuditor {
  #auditor: Auditor | undefined;
  #day = -1;

  constructor(
    readonly policy: PolicySet,
    private readonly now: () => number = Date.now,
  ) {}

  get current(): Auditor {
    const now = this.now();
    const day = Math.floor(now / DAY_MS);
    if (this.#auditor === undefined || day !== this.#day) {
      this.#auditor = new Auditor(this.policy, now);
      this.#day = day;
    }
    return this.#auditor;
  }
}

/**
 * Occurrences of one finding (one fingerprint: rule, name, content) a collector lists one by one;
 * later ones are counted on the last listed. A 3.5 MB gzip of 20.9M identical log lines made
 * 20.9M findings (4.4 GiB, then SIGABRT); now it makes this many.
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
 * An item whose content was encrypted, so the rules did not see it: not evaluated, never clean
 * (its findings from what could be seen still count). Every source lists it the same way.
 */
export function unseenContent(path: string, facts: InspectedFile): NotEvaluated | undefined {
  return facts.encrypted === undefined ? undefined : { path, reason: 'encrypted', detail: facts.encrypted };
}

/** What a run (or one thread's share of it) gathered: counters, findings, entries not evaluated. */
export interface Collected {
  counters: Counters;
  findings: Finding[];
  notEvaluated: NotEvaluated[];
}

/** Where judged items go: one per run, fed by every thread's results in turn. */
export class Collector implements Collected {
  readonly counters = emptyCounters();
  readonly findings: Finding[] = [];
  readonly notEvaluated: NotEvaluated[] = [];
  /** The threads whose work was collected (threadId; 0 is the main thread). */
  readonly threads = new Set<number>();
  readonly #tally: FindingTally | undefined;

  /**
   * `repeats`: the source can yield one finding many times (a log's identical lines), so later
   * occurrences are counted, not listed. A folder's findings are unique by path: no tally.
   */
  constructor({ repeats = false } = {}) {
    this.#tally = repeats ? new FindingTally(this.findings) : undefined;
  }

  addFindings(findings: readonly Finding[]): void {
    if (this.#tally) for (const finding of findings) this.#tally.add(finding);
    else for (const finding of findings) this.findings.push(finding);
  }

  addNotEvaluated(item: NotEvaluated): void {
    this.notEvaluated.push(item);
  }

  /** Take in what a thread or part collected; `thread`, the threadId that did the work. */
  merge(part: Collected, thread = 0): void {
    this.threads.add(thread);
    addCounters(this.counters, part.counters);
    this.addFindings(part.findings);
    for (const item of part.notEvaluated) this.notEvaluated.push(item);
  }
}
