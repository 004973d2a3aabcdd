import { hash } from 'node:crypto';
import type { Finding } from '../model/types.js';
import type { PendingFinding } from './evaluate.js';

/**
 * A stable identity for a finding across runs: rule, normalized path (raw bytes where the name
 * is not UTF-8), inner path, and the content hash where there is content.
 */
export function fingerprintOf(finding: Omit<PendingFinding, 'severity'>, sha256: string | undefined): string {
  const path = finding.pathBase64 !== undefined ? `b64:${finding.pathBase64}` : finding.path.normalize('NFC');
  // One-shot hash: no Hash object per finding (logs make tens of thousands of findings).
  return hash('sha256', `${finding.ruleId}\0${path}\0${finding.innerPath ?? ''}\0${sha256 ?? ''}`).slice(
    0,
    32,
  );
}

/**
 * The finding with its fingerprint (and content hash): the pending finding itself, completed,
 * not a copy (a run can hold hundreds of thousands of findings; docs/performance.md says what a
 * copy cost).
 */
export function finalize(finding: PendingFinding, sha256: string | undefined, contentKey = sha256): Finding {
  const done = finding as Finding;
  done.fingerprint = fingerprintOf(finding, contentKey);
  if (sha256 !== undefined) done.sha256 = sha256;
  return done;
}
