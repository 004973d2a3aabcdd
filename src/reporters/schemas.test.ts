/**
 * The JSON Schemas shipped in the package (docs/schemas/): the report's and the policy file's,
 * made from the descriptions the tool itself validates with, so they cannot drift (regenerate
 * with UPDATE_GOLDEN=1), and checked against real reports and policies by Ajv.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chalkFor } from '../cli/output.js';
import { policyJsonSchema } from '../policy/schema.js';
import { runScan } from '../sources/directory/run.js';
import { DEFAULT_UPLOAD_PATH } from '../sources/log/combined.js';
import { runLog } from '../sources/log/run.js';
import { PROJECT_ROOT } from '../test-support/cli.js';
import { expectGolden } from '../test-support/golden.js';
import { json } from './json.js';
import { REPORT_SCHEMA } from './report-schema.js';

const pretty = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
const ajv = () => new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });

describe('the JSON Schemas in docs/schemas', () => {
  it('are the ones the tool validates with', () => {
    expectGolden('../../docs/schemas/report.schema.json', pretty(REPORT_SCHEMA));
    expectGolden('../../docs/schemas/policy.schema.json', pretty(policyJsonSchema()));
  });

  it('accept the reports the tool writes', async () => {
    const validate = ajv().compile(
      JSON.parse(readFileSync(join(PROJECT_ROOT, 'docs/schemas/report.schema.json'), 'utf8')),
    );
    const reports = [
      await runScan({
        root: join(PROJECT_ROOT, 'fixtures/demo-uploads'),
        failOn: 'high',
        allowUnevaluated: false,
        concurrency: 1,
      }),
      await runLog({
        files: [join(PROJECT_ROOT, 'fixtures/logs/uploads.jsonl')],
        fields: {},
        uploadPath: new RegExp(DEFAULT_UPLOAD_PATH),
        failOn: 'high',
        allowUnevaluated: false,
      }),
    ];
    for (const report of reports) {
      const doc = JSON.parse(json(report, { color: chalkFor(0) }));
      expect(validate(doc), `${report.root}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('accept valid policies and refuse unknown keys, severities and sizes', () => {
    const validate = ajv().compile(
      JSON.parse(readFileSync(join(PROJECT_ROOT, 'docs/schemas/policy.schema.json'), 'utf8')),
    );
    const dir = join(PROJECT_ROOT, 'fixtures/policies/valid');
    for (const name of readdirSync(dir)) {
      // YAML 1.2's core schema keeps 2027-06-30 as text, as JSON has it.
      const policy = parse(readFileSync(join(dir, name), 'utf8'));
      expect(validate(policy), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    for (const bad of [
      { version: 1, mood: 'strict' },
      { version: 1, rules: { 'size/empty': 'loud' } },
      { version: 1, limits: { sizes: { image: '10 parsecs' } } },
      { version: 2 },
    ])
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
  });
});
