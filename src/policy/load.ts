import { existsSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import type * as Yaml from 'yaml';
import type { TypeClass } from '../inspect/filetypes.js';
import type { Limits } from '../inspect/limits.js';
import { InputError } from '../util/errors.js';
import { escapeUnsafe } from '../util/escape.js';
import { InputFileError, readInputFile } from '../util/read-input.js';
import {
  applyPatch,
  DEFAULT_BOUNDS,
  DEFAULT_POLICY,
  type Override,
  type PolicyPatch,
  type PolicySet,
  type Suppression,
  withDigest,
} from './policy.js';
import { POLICY_SCHEMA, type SchemaError, validate } from './schema.js';
import { parseSize } from './size.js';

let yamlModule: typeof Yaml | undefined;
/** The YAML parser, loaded when a policy is first read: most runs read none, and it is ~25 ms of start-up. */
const yaml = (): typeof Yaml => {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yamlModule;
};

/** A policy that cannot be used: one line per problem, each naming file, line, column and key. */
export class PolicyError extends InputError {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** The largest policy file we read: policies are hand-written, a bigger one is a mistake. */
const MAX_POLICY_BYTES = 1024 * 1024;

export const POLICY_FILE_NAMES = ['upload-audit.yaml', '.upload-audit.yaml'] as const;

/** `overrides[0].limits.sizes`; keys that hold a dot or a space are quoted: `extensions[".csv"]`. */
const keyPath = (path: (string | number)[]): string =>
  path.length === 0
    ? '(top level)'
    : path
        .map((p, i) =>
          typeof p === 'number'
            ? `[${p}]`
            : /[.\s[\]"]/.test(p)
              ? `[${JSON.stringify(p)}]`
              : i === 0
                ? p
                : `.${p}`,
        )
        .join('');

/** The node a schema error points at: the key itself for unknown keys, else the value. */
function nodeAt(doc: ReturnType<typeof Yaml.parseDocument>, error: SchemaError): Yaml.Node | undefined {
  if (!error.atKey)
    return (
      (doc.getIn(error.path, true) as Yaml.Node | undefined) ??
      nodeAt(doc, { path: error.path.slice(0, -1), message: '' })
    );
  const parent = error.path.length === 1 ? doc.contents : doc.getIn(error.path.slice(0, -1), true);
  if (!yaml().isMap(parent)) return undefined;
  const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === error.path.at(-1));
  return (pair?.key as Yaml.Node | undefined) ?? undefined;
}

function readPolicyText(file: string): string {
  try {
    return readInputFile(file, 'policy file', MAX_POLICY_BYTES);
  } catch (error) {
    if (error instanceof InputFileError)
      throw new PolicyError([`${escapeUnsafe(file)}: cannot read policy file: ${error.reason}`]);
    throw error;
  }
}

/** Parse and validate a policy file's text (YAML or JSON); return the plain object. */
export function parsePolicyText(text: string, file: string): Record<string, unknown> {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
    version: '1.2',
  });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new PolicyError(
      doc.errors.map(
        (e) =>
          `${at(e.pos[0])}: not valid YAML or JSON: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      ),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias to no anchor, or aliases that multiply into a bomb: said at the first alias.
    let first: number | undefined;
    yaml().visit(doc, {
      Alias(_, node) {
        first ??= node.range?.[0];
      },
    });
    const why = /Excessive alias/.test(String(error))
      ? 'too many aliases (more than 100 expansions): refused as a resource exhaustion attack'
      : (error as Error).message.split('\n')[0];
    throw new PolicyError([`${at(first)}: not a valid policy: ${why}`]);
  }
  if (raw === null || raw === undefined)
    throw new PolicyError([`${file}: the policy file is empty; it needs at least \`version: 1\``]);
  const errors = validate(raw, POLICY_SCHEMA);
  if (errors.length > 0) {
    throw new PolicyError(
      errors.map((e) => `${at(nodeAt(doc, e)?.range?.[0])}: ${keyPath(e.path)}: ${e.message}`),
    );
  }
  return raw as Record<string, unknown>;
}

type Raw = Record<string, unknown>;
const sizeMap = (raw: unknown): Record<string, number> | undefined =>
  raw === undefined
    ? undefined
    : Object.fromEntries(Object.entries(raw as Raw).map(([k, v]) => [k, parseSize(v)!]));

/** The patch a validated policy (or override) section describes. */
function toPatch(raw: Raw): PolicyPatch {
  const patch: PolicyPatch = {};
  if (raw.mode !== undefined) patch.mode = raw.mode as PolicyPatch['mode'] & string;
  if (raw.allow !== undefined) patch.allow = raw.allow as PolicyPatch['allow'] & object;
  if (raw.rules !== undefined) patch.rules = raw.rules as PolicyPatch['rules'] & object;
  const limits = raw.limits as Raw | undefined;
  if (limits !== undefined) {
    patch.limits = {};
    const sizes = sizeMap(limits.sizes);
    if (sizes) patch.limits.sizes = sizes as Partial<Record<TypeClass, number>>;
    const extensions = sizeMap(limits.extensions);
    if (extensions) patch.limits.extensions = extensions;
    const types = sizeMap(limits.types);
    if (types) patch.limits.types = types;
    if (limits.minSize !== undefined) patch.limits.minSize = parseSize(limits.minSize)!;
  }
  return patch;
}

const dateText = (value: unknown): string =>
  value instanceof Date ? value.toISOString().slice(0, 10) : String(value);

/** Turn a validated policy object into the effective policy set. */
export function toPolicySet(raw: Raw, source: string): PolicySet {
  const bounds = { ...DEFAULT_BOUNDS };
  for (const [key, value] of Object.entries((raw.bounds ?? {}) as Raw))
    bounds[key as keyof Limits] = parseSize(value)!;
  const overrides: Override[] = ((raw.overrides ?? []) as Raw[]).map((o) => ({
    paths: o.paths as string[],
    patch: toPatch(o),
  }));
  const suppressions: Suppression[] = ((raw.suppressions ?? []) as Raw[]).map((s, index) => ({
    index,
    rule: s.rule as string,
    reason: s.reason as string,
    ...(s.paths !== undefined && { paths: s.paths as string[] }),
    ...(s.sha256 !== undefined && { sha256: s.sha256 as string }),
    ...(s.expires !== undefined && { expires: dateText(s.expires) }),
  }));
  return withDigest({
    source,
    bounds,
    base: applyPatch(DEFAULT_POLICY, toPatch(raw)),
    overrides,
    suppressions,
  });
}

export function loadPolicyFile(file: string): PolicySet {
  return toPolicySet(parsePolicyText(readPolicyText(file), file), file);
}

/**
 * Find a policy file for a scan: in the parent folders of the scanned root, nearest first, then in
 * the current directory. Never inside the scanned tree: uploads are attacker-controlled, and an
 * uploaded upload-audit.yaml must not be able to suppress its own findings.
 */
export function discoverPolicy(rootReal: string | undefined, cwd: string): string | undefined {
  // By prefix, not by relative(): a folder named `..x` inside the root is still inside it.
  const insideRoot = (dir: string): boolean =>
    rootReal !== undefined &&
    (dir === rootReal || dir.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep));
  const candidates: string[] = [];
  for (
    let dir = rootReal && dirname(rootReal);
    dir !== undefined;
    dir = dirname(dir) === dir ? undefined : dirname(dir)
  ) {
    candidates.push(dir);
  }
  let here = resolve(cwd);
  try {
    here = realpathSync(here);
  } catch {
    // A working directory that vanished is simply not searched further.
  }
  if (!insideRoot(here) && !candidates.includes(here)) candidates.push(here);
  for (const dir of candidates) {
    for (const name of POLICY_FILE_NAMES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

/**
 * Why a discovered policy may not be the operator's own: its file or folder can be written by
 * another user (group or world write, or owned by someone other than root or us), as an upload
 * folder above the scanned one can. Empty when nobody else can change it.
 */
export function policyTrustProblems(file: string): string[] {
  const problems: string[] = [];
  const me = process.getuid?.();
  for (const [what, path] of [
    ['file', file],
    ['folder', dirname(file)],
  ] as const) {
    let stats: ReturnType<typeof statSync>;
    try {
      stats = statSync(path);
    } catch {
      continue;
    }
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    if (stats.mode & 0o022) problems.push(`its ${what} is writable by others (mode ${mode})`);
    else if (me !== undefined && stats.uid !== 0 && stats.uid !== me)
      problems.push(`its ${what} belongs to another user (uid ${stats.uid})`);
  }
  return problems;
}
