import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import type { TypeClass } from '../inspect/filetypes.js';
import { DEFAULT_LIMITS, type Limits } from '../inspect/limits.js';
import type { Severity } from '../model/types.js';

export type SeverityOrOff = Severity | 'off';
type PolicyMode = 'denylist' | 'allowlist';

/** The effective policy for one path: what is allowed, how big, and how much each finding weighs. */
export interface Policy {
  mode: PolicyMode;
  /** Allowlist mode: allowed last extensions, and detected MIME types (`image/*` allowed; empty = any). */
  allow: { extensions: string[]; types: string[] };
  /** Largest allowed size in bytes per type class. */
  sizeLimits: Record<TypeClass, number>;
  /** Largest allowed size per extension; wins over the type class. */
  extensionSizeLimits: Record<string, number>;
  /** Largest allowed size per detected MIME type (or `type/*`); wins over the type class. */
  typeSizeLimits: Record<string, number>;
  /** Files smaller than this many bytes are reported as empty (1 = only 0-byte files). */
  minSize: number;
  /** Severity overrides keyed by rule id or by category; a rule id wins over its category. */
  severity: Record<string, SeverityOrOff>;
}

/** What a policy file or an override says; every key optional. */
export interface PolicyPatch {
  mode?: PolicyMode;
  allow?: { extensions?: string[]; types?: string[] };
  limits?: {
    sizes?: Partial<Record<TypeClass, number>>;
    extensions?: Record<string, number>;
    types?: Record<string, number>;
    minSize?: number;
  };
  rules?: Record<string, SeverityOrOff>;
}

export interface Override {
  paths: string[];
  patch: PolicyPatch;
}

export interface Suppression {
  /** Position in the policy file, for `by` and for reporting expired and unused entries. */
  index: number;
  rule: string;
  paths?: string[];
  sha256?: string;
  reason: string;
  /** YYYY-MM-DD; suppresses through the end of that day (UTC). */
  expires?: string;
}

/** Everything a policy file says, resolved against the built-in default. Plain data. */
export interface PolicySet {
  /** `built-in`, or the policy file's path. */
  source: string;
  /** sha256 of the effective policy, so a report says exactly what it was judged by. */
  digest: string;
  bounds: Limits;
  base: Policy;
  overrides: Override[];
  suppressions: Suppression[];
}

const MiB = 1024 * 1024;

export const DEFAULT_POLICY: Policy = {
  mode: 'denylist',
  allow: { extensions: [], types: [] },
  sizeLimits: { image: 10 * MiB, document: 25 * MiB, archive: 25 * MiB, other: 5 * MiB },
  extensionSizeLimits: {},
  typeSizeLimits: {},
  minSize: 1,
  severity: {},
};

export const DEFAULT_BOUNDS: Limits = DEFAULT_LIMITS;

/** A patch applied on top of a policy. Lists replace; maps merge key by key. */
export function applyPatch(policy: Policy, patch: PolicyPatch): Policy {
  const limits = patch.limits ?? {};
  return {
    mode: patch.mode ?? policy.mode,
    allow: {
      extensions: patch.allow?.extensions ?? policy.allow.extensions,
      types: patch.allow?.types ?? policy.allow.types,
    },
    sizeLimits: { ...policy.sizeLimits, ...limits.sizes },
    extensionSizeLimits: { ...policy.extensionSizeLimits, ...limits.extensions },
    typeSizeLimits: { ...policy.typeSizeLimits, ...limits.types },
    minSize: limits.minSize ?? policy.minSize,
    severity: { ...policy.severity, ...patch.rules },
  };
}

/** How specific a glob is: the length of its literal prefix (before the first wildcard). */
export function specificity(glob: string): number {
  const wildcard = glob.search(/[*?[{(!]/);
  return wildcard === -1 ? glob.length + 1 : wildcard;
}

/** Resolves the effective policy for a path; memoized per combination of matching overrides. */
export class PolicyResolver {
  readonly #base: Policy;
  readonly #overrides: { match: (path: string) => boolean; patch: PolicyPatch; rank: number }[];
  readonly #cache = new Map<string, Policy>();

  constructor(set: Pick<PolicySet, 'base' | 'overrides'>) {
    this.#base = set.base;
    this.#overrides = set.overrides
      .map((o, i) => ({
        match: picomatch(o.paths, { dot: true }),
        patch: o.patch,
        rank: Math.max(...o.paths.map(specificity)) * 1000 + i,
      }))
      .sort((a, b) => a.rank - b.rank);
  }

  forPath(path: string): Policy {
    if (this.#overrides.length === 0) return this.#base;
    const matching = this.#overrides.filter((o) => o.match(path));
    const key = matching.map((o) => o.rank).join(',');
    let policy = this.#cache.get(key);
    if (!policy) {
      policy = matching.reduce((p, o) => applyPatch(p, o.patch), this.#base);
      this.#cache.set(key, policy);
    }
    return policy;
  }
}

/** A policy set with its digest: sha256 over everything that can change a verdict. */
export function withDigest(set: Omit<PolicySet, 'digest'>): PolicySet {
  const { source, ...effective } = set;
  const digest = `sha256:${createHash('sha256').update(JSON.stringify(effective)).digest('hex')}`;
  return { source, digest, ...effective };
}

/**
 * A digest of what decides a verdict (rules, limits, bounds, overrides) and not of suppressions,
 * which every run applies anew: an incremental rescan reuses verdicts only under the same one.
 */
export function verdictDigest(set: PolicySet): string {
  const { bounds, base, overrides } = set;
  return `sha256:${createHash('sha256').update(JSON.stringify({ bounds, base, overrides })).digest('hex')}`;
}

/** The built-in policy set (no file). */
export function defaultPolicySet(): PolicySet {
  return withDigest({
    source: 'built-in',
    bounds: DEFAULT_BOUNDS,
    base: DEFAULT_POLICY,
    overrides: [],
    suppressions: [],
  });
}
