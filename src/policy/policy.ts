import type { TypeClass } from '../inspect/filetypes.js';
import { DEFAULT_LIMITS, type Limits } from '../inspect/limits.js';
import type { Severity } from '../types.js';

export type SeverityOrOff = Severity | 'off';

/** The effective policy: what is allowed, how big, and how much each finding weighs. */
export interface Policy {
  limits: Limits;
  /** Largest allowed size in bytes per type class. */
  sizeLimits: Record<TypeClass, number>;
  /** Files smaller than this many bytes are reported as empty (1 = only 0-byte files). */
  minSize: number;
  /** Severity overrides keyed by rule id or by category; a rule id wins over its category. */
  severity: Record<string, SeverityOrOff>;
}

const MiB = 1024 * 1024;

export const DEFAULT_POLICY: Policy = {
  limits: DEFAULT_LIMITS,
  sizeLimits: { image: 10 * MiB, document: 25 * MiB, archive: 25 * MiB, other: 5 * MiB },
  minSize: 1,
  severity: {},
};
