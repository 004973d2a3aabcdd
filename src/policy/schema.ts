/**
 * The policy file's schema as data. One description drives validation (with the key path, what
 * was found and what is allowed), the commented default file (`policy show`) and the README
 * reference, so the three cannot drift apart.
 */

import { CATEGORIES, SEVERITIES } from '../model/types.js';
import { RULES } from '../rules/index.js';
import { parseSize, SIZE_SYNTAX } from './size.js';

export type Spec =
  | { type: 'enum'; values: readonly string[] }
  | { type: 'size' }
  | { type: 'int'; min: number; max: number }
  | { type: 'string'; pattern?: RegExp; what: string }
  | { type: 'date' }
  | { type: 'list'; of: Spec }
  | { type: 'map'; key: KeySpec; of: Spec }
  | {
      type: 'object';
      fields: Record<string, Field>;
      check?: (value: Record<string, unknown>) => string | undefined;
    };

interface KeySpec {
  what: string;
  values?: readonly string[];
  pattern?: RegExp;
}

export interface Field {
  spec: Spec;
  doc: string;
  required?: boolean;
  /** Shown in `policy show` and the reference; for documentation only. */
  example?: string;
}

const RULE_OR_CATEGORY = [...RULES.map((r) => r.id), ...CATEGORIES];
const GLOB: Spec = {
  type: 'list',
  of: { type: 'string', what: 'a glob relative to the scanned root, like avatars/**' },
};
const EXTENSIONS: Spec = {
  type: 'list',
  of: { type: 'string', pattern: /^[a-z0-9_+-]+$/, what: 'a lower-case extension without the dot, like jpg' },
};
const MIME_TYPES: Spec = {
  type: 'list',
  of: {
    type: 'string',
    pattern: /^[a-z0-9.+-]+\/(?:\*|[a-z0-9.+-]+)$/,
    what: 'a MIME type like image/png, or image/*',
  },
};
const SEVERITY_OR_OFF: Spec = { type: 'enum', values: [...SEVERITIES, 'off'] };

const SIZE_LIMITS: Record<string, Field> = {
  sizes: {
    doc: 'Largest size per type class (by extension, else by detected content).',
    spec: {
      type: 'object',
      fields: {
        image: { spec: { type: 'size' }, doc: 'Images: jpg, png, gif, webp, svg …', example: '10MiB' },
        document: {
          spec: { type: 'size' },
          doc: 'Documents and text: pdf, docx, xlsx, txt, csv …',
          example: '25MiB',
        },
        archive: { spec: { type: 'size' }, doc: 'Archives: zip, tar, gz, 7z …', example: '25MiB' },
        other: { spec: { type: 'size' }, doc: 'Anything else.', example: '5MiB' },
      },
    },
  },
  extensions: {
    doc: 'Largest size per extension; wins over the type class.',
    spec: {
      type: 'map',
      key: { what: 'an extension without the dot', pattern: /^[a-z0-9_+-]+$/ },
      of: { type: 'size' },
    },
    example: '{ csv: 50MiB }',
  },
  types: {
    doc: 'Largest size per detected MIME type (image/* allowed); wins over the type class.',
    spec: {
      type: 'map',
      key: { what: 'a MIME type like image/gif or image/*', pattern: /^[a-z0-9.+-]+\/(?:\*|[a-z0-9.+-]+)$/ },
      of: { type: 'size' },
    },
    example: "{ 'image/gif': 2MiB }",
  },
  minSize: {
    spec: { type: 'size' },
    doc: 'Files smaller than this are reported by size/empty (1 reports only empty files).',
    example: '1',
  },
};

const SHARED: Record<string, Field> = {
  mode: {
    spec: { type: 'enum', values: ['denylist', 'allowlist'] },
    doc: 'denylist: only what the rules find is reported. allowlist: every file whose extension (and, if `allow.types` is set, detected type) is not allowed is reported too.',
    example: 'denylist',
  },
  allow: {
    doc: 'What allowlist mode allows.',
    spec: {
      type: 'object',
      fields: {
        extensions: {
          spec: EXTENSIONS,
          doc: 'Allowed extensions (the last one of the name).',
          example: '[jpg, jpeg, png, gif, webp, pdf]',
        },
        types: {
          spec: MIME_TYPES,
          doc: 'Allowed detected MIME types; empty means any type that matches its extension.',
          example: '[image/*, application/pdf]',
        },
      },
    },
  },
  limits: { doc: 'Size limits.', spec: { type: 'object', fields: SIZE_LIMITS } },
  rules: {
    doc: 'Severity per rule id or per category (a rule id wins over its category), or off.',
    spec: {
      type: 'map',
      key: { what: 'a rule id or a category', values: RULE_OR_CATEGORY },
      of: SEVERITY_OR_OFF,
    },
    example: "{ 'size/empty': off, mime-mismatch: high }",
  },
};

export const POLICY_SCHEMA: Spec = {
  type: 'object',
  fields: {
    version: {
      spec: { type: 'int', min: 1, max: 1 },
      doc: 'Policy format version.',
      required: true,
      example: '1',
    },
    ...SHARED,
    bounds: {
      doc: 'Read limits for untrusted bytes; hitting one is reported on the entry.',
      spec: {
        type: 'object',
        fields: {
          maxSniffBytes: {
            spec: { type: 'int', min: 512, max: 1024 * 1024 },
            doc: 'Bytes read from the head of each file for type detection and content scanning.',
            example: '4096',
          },
          maxTailBytes: {
            spec: { type: 'int', min: 0, max: 1024 * 1024 },
            doc: 'Bytes read from the tail of each file, where appended payloads hide.',
            example: '4096',
          },
          maxMarkupBytes: {
            spec: { type: 'size' },
            doc: 'Bytes of an HTML, SVG or XML file scanned for scripts and entities.',
            example: '256KiB',
          },
          maxPdfBytes: {
            spec: { type: 'size' },
            doc: 'Bytes of a PDF scanned for actions and attachments.',
            example: '16MiB',
          },
          maxInflateBytes: {
            spec: { type: 'size' },
            doc: 'Bytes inflated or read per file from PDF streams and archive entries.',
            example: '64MiB',
          },
          maxArchiveEntries: {
            spec: { type: 'int', min: 1, max: 10_000_000 },
            doc: 'Archive entries listed per file, nested ones included.',
            example: '10000',
          },
          maxArchiveDepth: {
            spec: { type: 'int', min: 1, max: 32 },
            doc: 'How deep archives inside archives are opened.',
            example: '3',
          },
          maxNestedArchiveBytes: {
            spec: { type: 'size' },
            doc: 'Largest nested archive held in memory to be opened.',
            example: '16MiB',
          },
          maxHashBytes: {
            spec: { type: 'size' },
            doc: 'Largest flagged file that gets a content hash (sha256); larger ones are fingerprinted by their size and first and last MiB.',
            example: '256MiB',
          },
          maxSymlinkHops: {
            spec: { type: 'int', min: 1, max: 1000 },
            doc: 'Links followed when resolving a symlink chain.',
            example: '40',
          },
        },
      },
    },
    overrides: {
      doc: 'Folder-specific settings. Every override whose glob matches a path applies, the most specific (longest literal prefix) last, so it wins; lists (allow.*) replace, maps merge key by key.',
      spec: {
        type: 'list',
        of: {
          type: 'object',
          fields: {
            paths: {
              spec: GLOB,
              doc: 'Globs the override applies to.',
              required: true,
              example: "['avatars/**']",
            },
            ...SHARED,
          },
        },
      },
    },
    suppressions: {
      doc: 'Accepted findings: still reported (marked suppressed) but not failing the run. An expired suppression stops suppressing and is reported; one that matched nothing is reported as unused.',
      spec: {
        type: 'list',
        of: {
          type: 'object',
          fields: {
            rule: {
              spec: { type: 'enum', values: RULE_OR_CATEGORY },
              doc: 'The rule id or category to suppress.',
              required: true,
              example: 'mime-mismatch/image-type',
            },
            paths: { spec: GLOB, doc: 'Where: globs relative to the root.', example: "['legacy/thumbs/**']" },
            sha256: {
              spec: {
                type: 'string',
                pattern: /^[0-9a-f]{64}$/,
                what: 'a lower-case hex sha256 (64 characters)',
              },
              doc: 'Or which file: its content hash, wherever it moves.',
            },
            reason: {
              spec: { type: 'string', pattern: /\S/, what: 'a non-empty reason' },
              doc: 'Why this is accepted.',
              required: true,
              example: 'thumbnails re-encoded in Q3',
            },
            expires: {
              spec: { type: 'date' },
              doc: 'Date (YYYY-MM-DD) after which it no longer suppresses.',
              example: '2026-12-31',
            },
          },
          check: (s) =>
            s.paths === undefined && s.sha256 === undefined
              ? 'needs paths or sha256 to say what it suppresses'
              : undefined,
        },
      },
    },
  },
};

export interface SchemaError {
  /** Key path, like ['overrides', 0, 'limits', 'sizes', 'image']. */
  path: (string | number)[];
  /** Point at the key itself (unknown keys) rather than its value. */
  atKey?: boolean;
  message: string;
}

const show = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : value === null ? 'nothing' : JSON.stringify(value);

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

/** "; did you mean x?" when one allowed word is close. */
function suggestion(found: string, allowed: readonly string[]): string {
  const best = allowed
    .map((w) => [w, distance(found.toLowerCase(), w.toLowerCase())] as const)
    .sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(found.length / 4))
    ? `; did you mean ${show(best[0])}?`
    : '';
}

function allowedList(values: readonly string[]): string {
  return values.length > 12
    ? `${values.slice(0, 12).join(', ')}, … (see \`upload-audit rules\`)`
    : values.join(', ');
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every way `value` breaks `spec`. */
export function validate(
  value: unknown,
  spec: Spec,
  path: (string | number)[] = [],
  errors: SchemaError[] = [],
): SchemaError[] {
  const fail = (message: string): void => void errors.push({ path, message });
  switch (spec.type) {
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        fail(
          `found ${show(value)}, allowed: ${allowedList(spec.values)}${typeof value === 'string' ? suggestion(value, spec.values) : ''}`,
        );
      }
      break;
    case 'size':
      if (parseSize(value) === undefined) fail(`found ${show(value)}, allowed: ${SIZE_SYNTAX}`);
      break;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) {
        fail(`found ${show(value)}, allowed: a whole number from ${spec.min} to ${spec.max}`);
      }
      break;
    case 'string':
      if (typeof value !== 'string' || (spec.pattern && !spec.pattern.test(value)))
        fail(`found ${show(value)}, allowed: ${spec.what}`);
      break;
    case 'date': {
      const text = value instanceof Date ? value.toISOString().slice(0, 10) : value;
      if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text))) {
        fail(`found ${show(value)}, allowed: a date like 2026-12-31`);
      }
      break;
    }
    case 'list':
      if (!Array.isArray(value)) fail(`found ${show(value)}, allowed: a list`);
      else
        value.forEach((item, i) => {
          validate(item, spec.of, [...path, i], errors);
        });
      break;
    case 'map':
      if (!isPlainObject(value)) {
        fail(`found ${show(value)}, allowed: a mapping of ${spec.key.what} to values`);
        break;
      }
      for (const [key, item] of Object.entries(value)) {
        const { values, pattern, what } = spec.key;
        if ((values && !values.includes(key)) || (pattern && !pattern.test(key))) {
          const allowed = values ? allowedList(values) + suggestion(key, values) : what;
          errors.push({
            path: [...path, key],
            atKey: true,
            message: `unknown key ${show(key)}, allowed: ${allowed}`,
          });
        } else validate(item, spec.of, [...path, key], errors);
      }
      break;
    case 'object': {
      if (!isPlainObject(value)) {
        fail(`found ${show(value)}, allowed: a mapping with keys ${Object.keys(spec.fields).join(', ')}`);
        break;
      }
      const keys = Object.keys(spec.fields);
      for (const [key, item] of Object.entries(value)) {
        // Own keys only: a policy key named `constructor` or `toString` is unknown, not a method.
        const field = Object.hasOwn(spec.fields, key) ? spec.fields[key] : undefined;
        if (!field)
          errors.push({
            path: [...path, key],
            atKey: true,
            message: `unknown key ${show(key)}, allowed: ${keys.join(', ')}${suggestion(key, keys)}`,
          });
        else validate(item, field.spec, [...path, key], errors);
      }
      for (const [key, field] of Object.entries(spec.fields)) {
        if (field.required && !Object.hasOwn(value, key)) fail(`missing required key ${show(key)}`);
      }
      const problem = spec.check?.(value);
      if (problem) fail(problem);
      break;
    }
  }
  return errors;
}

/** The units a size may carry, for the JSON Schema's pattern (parseSize accepts these, any case). */
const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([bB]|[kKmMgGtT][iI]?[bB])?\\s*$';

/**
 * The policy file's schema as JSON Schema (draft-07), made from the same description: for
 * editors (yaml-language-server) and CI that check policies before the tool runs. The checks a
 * JSON Schema cannot say (an override's own rules) stay in the loader.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const convert = (spec: Spec): Record<string, unknown> => {
    switch (spec.type) {
      case 'enum':
        return { enum: [...spec.values] };
      case 'size':
        return {
          anyOf: [
            { type: 'integer', minimum: 0 },
            { type: 'string', pattern: SIZE_PATTERN },
          ],
          description: SIZE_SYNTAX,
        };
      case 'int':
        return { type: 'integer', minimum: spec.min, maximum: spec.max };
      case 'string':
        return {
          type: 'string',
          description: spec.what,
          ...(spec.pattern && { pattern: spec.pattern.source }),
        };
      case 'date':
        // YAML reads 2027-06-30 as a date; in JSON it is the same text.
        return { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
      case 'list':
        return { type: 'array', items: convert(spec.of) };
      case 'map':
        return {
          type: 'object',
          propertyNames: spec.key.values
            ? { enum: [...spec.key.values] }
            : { ...(spec.key.pattern && { pattern: spec.key.pattern.source }) },
          additionalProperties: convert(spec.of),
        };
      case 'object': {
        const required = Object.entries(spec.fields)
          .filter(([, f]) => f.required)
          .map(([key]) => key);
        return {
          type: 'object',
          properties: Object.fromEntries(
            Object.entries(spec.fields).map(([key, f]) => [key, { description: f.doc, ...convert(f.spec) }]),
          ),
          ...(required.length > 0 && { required }),
          additionalProperties: false,
        };
      }
    }
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://upload-audit.invalid/schemas/policy-1.json',
    title: 'upload-audit policy file, version 1',
    ...convert(POLICY_SCHEMA),
  };
}
