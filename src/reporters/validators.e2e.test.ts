import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sortReport } from '../audit/report.js';
import { chalkFor } from '../cli/output.js';
import { cliInProcess, PROJECT_ROOT } from '../test-support/cli.js';
import { sampleReport } from '../test-support/sample-report.js';
import { REPORTERS } from './index.js';
import { MAX_SARIF_BYTES, MAX_SARIF_RESULTS } from './sarif.js';

/** CI clones the project beside shared/; UPLOAD_AUDIT_VALIDATORS points elsewhere if needed. */
const VALIDATORS = process.env.UPLOAD_AUDIT_VALIDATORS ?? join(PROJECT_ROOT, '../shared/validators');
const SHARED = existsSync(join(VALIDATORS, 'validate-sarif.sh'));
const dir = mkdtempSync(join(tmpdir(), 'upload-audit-validate-'));

if (!SHARED)
  console.warn(
    `validators.test.ts: ${VALIDATORS} is missing, so these checks are SKIPPED: the OASIS SARIF schema (Ajv), the SARIF Multitool's GitHub rules, the Jenkins and Ant JUnit XSDs (xmllint) and junitparser. Run instead, from devDependencies: the SARIF Multitool's validate, and junit2json with a count check.`,
  );

/** The SARIF Multitool (npm, devDependency): a real SARIF consumer, run on the file. */
function multitool(file: string): void {
  const run = spawnSync(join(PROJECT_ROOT, 'node_modules/.bin/sarif-multitool'), ['validate', file], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  const errors = `${run.stdout}`.split('\n').filter((line) => /: error [A-Z]+\d+/.test(line));
  expect(run.status, `sarif-multitool validate ${file}\n${run.stdout}\n${run.stderr}`).toBe(0);
  expect(errors).toEqual([]);
}

/** junit2json (npm, devDependency) must read the file, and each suite's counts must match its cases. */
async function junit2json(file: string): Promise<void> {
  const { parse } = await import('junit2json');
  const doc = (await parse(readFileSync(file, 'utf8'))) as {
    testsuite?: {
      tests?: number;
      failures?: number;
      errors?: number;
      skipped?: number;
      testcase?: Record<string, unknown>[];
    }[];
  };
  expect(doc.testsuite?.length ?? 0, file).toBeGreaterThan(0);
  for (const suite of doc.testsuite ?? []) {
    const cases = suite.testcase ?? [];
    expect(suite.tests, file).toBe(cases.length);
    expect(suite.failures ?? 0, file).toBe(cases.filter((c) => c.failure).length);
    expect(suite.errors ?? 0, file).toBe(cases.filter((c) => c.error).length);
    expect(suite.skipped ?? 0, file).toBe(cases.filter((c) => c.skipped).length);
  }
}

/**
 * Check a report with tools nobody here wrote: the shared validators where they are (CI), or
 * the consumers installed from the registry (a fresh clone), saying above which were skipped.
 */
async function validate(script: string, file: string, ...flags: string[]): Promise<void> {
  if (!SHARED) {
    if (script === 'validate-sarif.sh') multitool(file);
    else await junit2json(file);
    return;
  }
  const run = spawnSync('bash', [join(VALIDATORS, script), ...flags, file], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  expect(run.status, `${script} ${file}\n${run.stdout}\n${run.stderr}`).toBe(0);
}

function sample() {
  const r = sampleReport();
  sortReport(r.findings, r.notEvaluated);
  return r;
}

const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('SARIF passes the official schema and the SARIF Multitool with GitHub rules', () => {
  it('for a report full of hostile names, suppressions and archive findings', async () => {
    await validate(
      'validate-sarif.sh',
      write('sample.sarif', REPORTERS.sarif(sample(), { color: chalkFor(0) })),
      '--github',
    );
  }, 600_000);

  it('for the demo folder scan and an upload-log audit', async () => {
    const scan = join(dir, 'demo.sarif');
    await cliInProcess(['scan', 'fixtures/demo-uploads', '--format', `sarif=${scan}`, '-q']);
    const log = join(dir, 'log.sarif');
    await cliInProcess([
      'log',
      'fixtures/logs/uploads.jsonl',
      '--root',
      'fixtures/demo-uploads',
      '--format',
      `sarif=${log}`,
      '-q',
    ]);
    await validate('validate-sarif.sh', scan, '--github');
    await validate('validate-sarif.sh', log, '--github');
  }, 600_000);

  it('stays within GitHub’s limits (25,000 results, 10 MB) and says what it left out', async () => {
    const r = sample();
    const one = r.findings[0]!;
    const total = MAX_SARIF_RESULTS + 10;
    r.findings = Array.from({ length: total }, (_, i) => ({
      ...one,
      path: `f${i}.php`,
      fingerprint: `${i}`,
    }));
    const text = REPORTERS.sarif(r, { color: chalkFor(0) });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_SARIF_BYTES);
    const doc = JSON.parse(text);
    const kept = doc.runs[0].results.length;
    expect(kept).toBeLessThanOrEqual(MAX_SARIF_RESULTS);
    const notes: string[] = doc.runs[0].invocations[0].toolExecutionNotifications.map(
      (n: { message: { text: string } }) => n.message.text,
    );
    const cuts = notes.filter((n) => n.includes('left out'));
    expect(cuts[0]).toContain(
      `10 of ${total} results were left out (GitHub accepts ${MAX_SARIF_RESULTS} per run)`,
    );
    const leftOut = cuts.reduce((sum, n) => sum + Number(n.split(' ')[0]), 0);
    expect(kept + leftOut).toBe(total);
  });
});

describe('JUnit passes the Jenkins schema and real parsers whose counts must agree', () => {
  it('for the hostile sample, the demo scan and a run with a baseline', async () => {
    await validate(
      'validate-junit.sh',
      write('sample.xml', REPORTERS.junit(sample(), { color: chalkFor(0) })),
    );
    const scan = join(dir, 'demo.xml');
    await cliInProcess(['scan', 'fixtures/demo-uploads', '--format', `junit=${scan}`, '-q']);
    await validate('validate-junit.sh', scan);
    const baseline = join(dir, 'base.json');
    await cliInProcess(['scan', 'fixtures/demo-uploads/users', '--format', `json=${baseline}`, '-q']);
    const compared = join(dir, 'compared.xml');
    await cliInProcess([
      'scan',
      'fixtures/demo-uploads',
      '--baseline',
      baseline,
      '--format',
      `junit=${compared}`,
      '-q',
    ]);
    await validate('validate-junit.sh', compared);
  }, 600_000);
});
