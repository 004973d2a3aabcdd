/** One entry below a root, audited as `scan` audits it: for a watch mode, file by file. */
import { lstatSync } from 'node:fs';
import { posix } from 'node:path';
import { type Auditor, unseenContent } from '../../audit/auditor.js';
import type { EntryKind, Finding, NotEvaluated } from '../../model/types.js';
import { entryFacts, entryKindOf } from './entry.js';
import { type DirectoryJob, entryAt } from './listing.js';

function kindOf(path: string): EntryKind | undefined {
  try {
    return entryKindOf(lstatSync(path));
  } catch {
    return undefined;
  }
}

/**
 * The findings of the entry `relPath` (`/`-separated) below `rootReal`, or why it could not be
 * evaluated: the same listing, inspection, rules and policy as a scan of the whole tree.
 */
export async function auditPath(
  rootReal: string,
  relPath: string,
  auditor: Auditor,
): Promise<{ findings: Finding[]; notEvaluated?: NotEvaluated }> {
  const dir = posix.dirname(relPath) === '.' ? '' : posix.dirname(relPath);
  const name = posix.basename(relPath);
  const job: DirectoryJob = { path: dir, fsPath: dir === '' ? rootReal : `${rootReal}/${dir}` };
  const kind = kindOf(`${job.fsPath}/${name}`);
  if (kind === undefined) return { findings: [], notEvaluated: { path: relPath, reason: 'vanished' } };
  const entry = entryAt(job, { names: [name], kinds: [kind] }, 0);
  const outcome = entryFacts(entry, { rootReal, limits: auditor.policy.bounds });
  const notEvaluated: NotEvaluated | undefined =
    outcome.status === 'not-evaluated'
      ? { path: entry.path, reason: outcome.reason, detail: outcome.detail }
      : undefined;
  if (!outcome.file) return { findings: [], ...(notEvaluated && { notEvaluated }) };
  const source = outcome.status === 'ok' ? outcome.source : undefined;
  try {
    const findings = await auditor.audit({ facts: outcome.file, ...(source && { bytes: source }) });
    const unseen = notEvaluated ?? unseenContent(entry.path, outcome.file);
    return { findings, ...(unseen && { notEvaluated: unseen }) };
  } finally {
    source?.close();
  }
}
