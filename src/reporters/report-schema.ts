/**
 * The JSON Schema of the report `--format json` writes, and the check every command that reads a
 * report back (compare, merge, convert, --baseline, --history) runs before using one: a report
 * is input like any other, and one of the wrong shape must be a clear error naming the file and
 * the place, never an internal error or a half-written output.
 */
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject } from 'ajv';
import { CATEGORIES, NOT_EVALUATED_REASONS, SEVERITIES } from '../model/types.js';

/** Bounds on what a report may claim, so that no count in it can make us allocate without end. */
const MAX_SHARDS = 100_000;

const count = { type: 'integer', minimum: 0 } as const;
const text = { type: 'string' } as const;
const severity = { enum: [...SEVERITIES] } as const;
const byKeys = (keys: readonly string[]) => ({
  type: 'object',
  properties: Object.fromEntries(keys.map((k) => [k, count])),
  additionalProperties: false,
});

const finding = {
  type: 'object',
  required: ['path', 'category', 'ruleId', 'severity', 'messageId', 'evidence', 'fingerprint'],
  properties: {
    path: text,
    pathBase64: text,
    innerPath: text,
    location: {
      type: 'object',
      required: ['file', 'line'],
      properties: { file: text, line: count },
    },
    client: text,
    user: text,
    kind: text,
    category: { enum: [...CATEGORIES] },
    ruleId: text,
    severity,
    message: text,
    messageId: text,
    evidence: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    sha256: text,
    fingerprint: text,
    suppressed: {
      type: 'object',
      required: ['by', 'reason'],
      properties: { by: text, reason: text, expires: text },
    },
    count: { type: 'integer', minimum: 1 },
  },
} as const;

const notEvaluated = {
  type: 'object',
  required: ['path', 'reason'],
  properties: {
    path: text,
    pathBase64: text,
    location: { type: 'object', required: ['file', 'line'], properties: { file: text, line: count } },
    reason: { enum: [...NOT_EVALUATED_REASONS] },
    detail: text,
    count: { type: 'integer', minimum: 1 },
  },
} as const;

const suppressionNote = {
  type: 'object',
  required: ['by', 'rule', 'reason'],
  properties: { by: text, rule: text, reason: text, expires: text },
} as const;

const counts = {
  type: 'object',
  required: ['bySeverity', 'byCategory', 'total'],
  properties: { bySeverity: byKeys(SEVERITIES), byCategory: byKeys(CATEGORIES), total: count },
} as const;

export const REPORT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://upload-audit.invalid/schemas/report-1.json',
  title: 'upload-audit JSON report, schema version 1',
  type: 'object',
  required: [
    'schemaVersion',
    'tool',
    'root',
    'source',
    'policy',
    'startedAt',
    'durationMs',
    'summary',
    'findings',
    'notEvaluated',
    'suppressions',
  ],
  properties: {
    schemaVersion: { const: 1 },
    tool: {
      type: 'object',
      required: ['name', 'version'],
      properties: { name: { const: 'upload-audit' }, version: text },
    },
    root: text,
    rootAbsolute: text,
    source: { enum: ['directory', 'log', 'bucket'] },
    policy: { type: 'object', required: ['source', 'digest'], properties: { source: text, digest: text } },
    startedAt: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT' },
    durationMs: count,
    summary: {
      type: 'object',
      required: [
        'entries',
        'files',
        'directories',
        'symlinks',
        'other',
        'excluded',
        'evaluated',
        'bytes',
        'notEvaluated',
        'notEvaluatedByReason',
        'findings',
        'suppressed',
        'bySeverity',
        'byCategory',
        'failOn',
        'failed',
      ],
      properties: {
        entries: count,
        files: count,
        directories: count,
        symlinks: count,
        other: count,
        excluded: count,
        evaluated: count,
        bytes: count,
        // Not required: a report written before these counts existed lacks them, and is still read.
        filesEvaluated: count,
        bytesEvaluated: count,
        notEvaluated: count,
        notEvaluatedByReason: byKeys(NOT_EVALUATED_REASONS),
        findings: count,
        suppressed: count,
        bySeverity: byKeys(SEVERITIES),
        byCategory: byKeys(CATEGORIES),
        failOn: { enum: [...SEVERITIES, 'none'] },
        failed: { type: 'boolean' },
      },
    },
    findings: { type: 'array', items: finding },
    notEvaluated: { type: 'array', items: notEvaluated },
    suppressions: {
      type: 'object',
      required: ['expired', 'unused'],
      properties: {
        expired: { type: 'array', items: suppressionNote },
        unused: { type: 'array', items: suppressionNote },
      },
    },
    comparison: {
      type: 'object',
      required: ['baseline', 'before', 'after', 'new', 'fixed', 'moved', 'unchanged'],
      properties: {
        baseline: {
          type: 'object',
          required: ['root', 'startedAt', 'policyDigest'],
          properties: { root: text, startedAt: text, policyDigest: text },
        },
        before: counts,
        after: counts,
        new: { type: 'array', items: finding },
        fixed: { type: 'array', items: finding },
        moved: {
          type: 'array',
          items: { type: 'object', required: ['from', 'to'], properties: { from: finding, to: finding } },
        },
        unchanged: count,
        judged: { enum: ['new', 'all'] },
      },
    },
    shard: {
      type: 'object',
      required: ['index', 'count'],
      properties: {
        index: { type: 'integer', minimum: 1, maximum: MAX_SHARDS },
        count: { type: 'integer', minimum: 1, maximum: MAX_SHARDS },
      },
    },
    view: {
      type: 'object',
      required: ['severity', 'hidden'],
      properties: { severity: { enum: [...SEVERITIES] }, hidden: count },
    },
    incremental: {
      type: 'object',
      required: ['mode', 'state', 'reused', 'reread'],
      properties: {
        mode: { enum: ['incremental', 'full'] },
        state: { type: 'string' },
        why: { type: 'string' },
        reused: count,
        reread: count,
      },
    },
  },
} as const;

let validator: ReturnType<AjvClass['compile']> | undefined;

/** The first problem of a document that is not a report, as `/json/pointer: what is wrong`; undefined when valid. */
export function reportProblem(doc: unknown): string | undefined {
  if (!validator) {
    // Loaded on the first report read (a baseline, a history, a merge), not by every scan.
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    validator = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(REPORT_SCHEMA);
  }
  if (validator(doc)) return undefined;
  const error = validator.errors?.[0] as ErrorObject | undefined;
  if (!error) return 'not a report';
  const where = error.instancePath === '' ? 'the document' : error.instancePath;
  const allowed =
    'allowedValues' in error.params ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : '';
  return `${where} ${error.message ?? 'is not valid'}${allowed}`;
}
