import type { Finding, Severity } from '../model/types.js';
import { reaches } from './severity.js';

const EXIT_OK = 0;
const EXIT_POLICY_FAILED = 1;
export const EXIT_ERROR = 2;

export interface ExitInputs {
  findings: readonly Pick<Finding, 'severity'>[];
  notEvaluated: number;
  failOn: Severity | 'none';
  allowUnevaluated: boolean;
}

/** 0 pass; 1 a finding reaches --fail-on, or something could not be evaluated. Pure. */
export function exitCodeFor({ findings, notEvaluated, failOn, allowUnevaluated }: ExitInputs): number {
  if (findings.some((f) => reaches(f.severity, failOn))) return EXIT_POLICY_FAILED;
  if (notEvaluated > 0 && !allowUnevaluated) return EXIT_POLICY_FAILED;
  return EXIT_OK;
}
