/**
 * Texts generated from the schema: the commented default policy file (`policy show`, `policy
 * init`) and the Markdown reference in README. Generated, so neither can drift from validation.
 */

import { DEFAULT_BOUNDS, DEFAULT_POLICY } from './policy.js';
import { type Field, POLICY_SCHEMA, type Spec } from './schema.js';
import { formatSize } from './size.js';

/** The built-in default, in file form. */
export const DEFAULT_POLICY_FILE: Record<string, unknown> = {
  version: 1,
  mode: DEFAULT_POLICY.mode,
  allow: { extensions: [], types: [] },
  limits: {
    sizes: Object.fromEntries(Object.entries(DEFAULT_POLICY.sizeLimits).map(([k, v]) => [k, formatSize(v)])),
    extensions: {},
    types: {},
    minSize: DEFAULT_POLICY.minSize,
  },
  rules: {},
  bounds: {
    maxSniffBytes: DEFAULT_BOUNDS.maxSniffBytes,
    maxTailBytes: DEFAULT_BOUNDS.maxTailBytes,
    maxMarkupBytes: formatSize(DEFAULT_BOUNDS.maxMarkupBytes),
    maxPdfBytes: formatSize(DEFAULT_BOUNDS.maxPdfBytes),
    maxInflateBytes: formatSize(DEFAULT_BOUNDS.maxInflateBytes),
    maxArchiveEntries: DEFAULT_BOUNDS.maxArchiveEntries,
    maxArchiveDepth: DEFAULT_BOUNDS.maxArchiveDepth,
    maxNestedArchiveBytes: formatSize(DEFAULT_BOUNDS.maxNestedArchiveBytes),
    maxHashBytes: formatSize(DEFAULT_BOUNDS.maxHashBytes),
    maxSymlinkHops: DEFAULT_BOUNDS.maxSymlinkHops,
  },
  overrides: [],
  suppressions: [],
};

/** Commented examples for the list sections, which are empty by default. */
export const LIST_EXAMPLES: Record<string, string> = {
  overrides: `- paths: ['avatars/**']
  mode: allowlist
  allow: { extensions: [jpg, jpeg, png, webp], types: ['image/*'] }
  limits: { sizes: { image: 2MiB } }
- paths: ['exports/**']
  limits: { extensions: { csv: 50MiB } }
  rules: { 'size/empty': off }`,
  suppressions: `- rule: mime-mismatch/image-type
  paths: ['legacy/thumbs/**']
  reason: thumbnails from the old app, re-encoded in Q3
  expires: 2026-12-31
- rule: dangerous-extension/executable
  sha256: 9f2c0d0d6c3b2c8e6e2a0b6f4d1e3a5c7b9d1f3e5a7c9b1d3f5e7a9c1b3d5f7e
  reason: the signed desktop installer we publish ourselves`,
};

const scalar = (v: unknown): string => {
  if (typeof v === 'string')
    return /^[\w./*+-]+$/.test(v) && !/^(true|false|null|off|on|yes|no)$/i.test(v) ? v : `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(scalar).join(', ')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length === 0
      ? '{}'
      : `{ ${entries.map(([k, x]) => `${scalar(k)}: ${scalar(x)}`).join(', ')} }`;
  }
  return String(v);
};

function renderFields(
  fields: Record<string, Field>,
  values: Record<string, unknown>,
  indent: string,
  out: string[],
): void {
  for (const [key, field] of Object.entries(fields)) {
    out.push(`${indent}# ${field.doc}`);
    const value = values[key];
    if (field.spec.type === 'object' && value && typeof value === 'object') {
      out.push(`${indent}${key}:`);
      renderFields(field.spec.fields, value as Record<string, unknown>, `${indent}  `, out);
    } else {
      if (
        field.example &&
        (field.spec.type === 'map' || field.spec.type === 'list') &&
        key !== 'overrides' &&
        key !== 'suppressions'
      ) {
        out.push(`${indent}# e.g. ${key}: ${field.example}`);
      }
      out.push(`${indent}${key}: ${scalar(value)}`);
      const example = LIST_EXAMPLES[key];
      if (example) out.push(...example.split('\n').map((line) => `${indent}#   ${line}`));
    }
  }
}

/** The built-in policy as a commented YAML file. */
export function defaultPolicyYaml(): string {
  const out = [
    '# upload-audit policy: the built-in default, written out.',
    '# Check a policy with: upload-audit policy check FILE',
    '# Sizes take a number of bytes or a unit: 512KiB, 10MiB, 2GB.',
    '',
  ];
  if (POLICY_SCHEMA.type !== 'object') throw new Error('the policy schema must be an object');
  renderFields(POLICY_SCHEMA.fields, DEFAULT_POLICY_FILE, '', out);
  return `${out.join('\n')}\n`;
}

function typeName(spec: Spec): string {
  switch (spec.type) {
    case 'enum':
      return spec.values.length > 8
        ? 'rule id or category'
        : spec.values.map((v) => `\`${v}\``).join(' \\| ');
    case 'size':
      return 'size';
    case 'int':
      return `integer ${spec.min}–${spec.max}`;
    case 'string':
      return 'string';
    case 'date':
      return 'date';
    case 'list':
      return `list of ${typeName(spec.of)}`;
    case 'map':
      return `map: ${spec.key.what} → ${typeName(spec.of)}`;
    case 'object':
      return 'mapping';
  }
}

function defaultAt(path: string[]): string {
  let value: unknown = DEFAULT_POLICY_FILE;
  for (const key of path)
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value === undefined ||
    (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0)
    ? ''
    : `\`${scalar(value)}\``;
}

function referenceRows(fields: Record<string, Field>, path: string[], out: string[]): void {
  for (const [key, field] of Object.entries(fields)) {
    const here = [...path, key];
    const name = here.join('.').replace(/\.\[\]/g, '[]');
    const example = field.example ? `\`${field.example}\`` : '';
    const doc = `${field.doc}${field.required ? ' **Required.**' : ''}`;
    out.push(
      `| \`${name}\` | ${typeName(field.spec)} | ${defaultAt(here)} | ${example} | ${doc.replaceAll('|', '\\|')} |`,
    );
    if (field.spec.type === 'object') referenceRows(field.spec.fields, here, out);
    if (field.spec.type === 'list' && field.spec.of.type === 'object')
      referenceRows(field.spec.of.fields, [...here, '[]'], out);
  }
}

/** The Markdown policy reference for README: every key, its type, default, an example and what it does. */
export function policyReferenceMarkdown(): string {
  if (POLICY_SCHEMA.type !== 'object') throw new Error('the policy schema must be an object');
  const out = ['| key | type | default | example | meaning |', '| --- | --- | --- | --- | --- |'];
  referenceRows(POLICY_SCHEMA.fields, [], out);
  return `${out.join('\n')}\n`;
}
