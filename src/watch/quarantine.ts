/**
 * Watch mode's remediation: findings at or above a severity are moved to quarantine as they
 * are found, through the same journal, run folders and manifest as `fix --apply`, so `restore`
 * undoes them. One run spans the watch: it holds the quarantine's lock (no `fix --apply` on the
 * same quarantine meanwhile) and is completed when the watch stops; a watch killed midway leaves
 * an unfinished run that the next `fix --apply`, or watch, on the same root resumes.
 */
import type { Finding, Severity } from '../model/types.js';
import {
  type ApplyResult,
  applyPlan,
  closeRun,
  completeRun,
  openRun,
  prepareQuarantine,
  type RunHandle,
} from '../remediate/apply.js';
import { planRemediation } from '../remediate/plan.js';

export class WatchQuarantine {
  readonly #run: RunHandle;

  /** Open (or resume) a run in `quarantine` for `rootReal`; throws an InputError for a bad quarantine. */
  constructor(
    private readonly rootReal: string,
    quarantine: string,
    private readonly minSeverity: Severity,
  ) {
    this.#run = openRun(prepareQuarantine(rootReal, quarantine, true), rootReal, new Date());
  }

  /** The run folder (what `restore` takes). */
  get runDir(): string {
    return this.#run.runDir;
  }

  /** Carry out what `fix --apply` would for one file's findings; undefined when nothing applies. */
  take(findings: Finding[]): ApplyResult | undefined {
    const plan = planRemediation({ findings }, { minSeverity: this.minSeverity, categories: [] });
    return plan.actions.length === 0 ? undefined : applyPlan(plan, this.rootReal, this.#run);
  }

  /** Complete the run (journal and manifest) and release the quarantine. */
  close(): void {
    completeRun(this.#run, new Date());
  }

  /** Release the quarantine without completing the run (after a failure): the next run resumes it. */
  abandon(): void {
    closeRun(this.#run);
  }
}
