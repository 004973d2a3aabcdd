import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sortReport } from '../audit/report.js';
import { chalkFor } from '../cli/output.js';
import { cli, PROJECT_ROOT } from '../test-support/cli.js';
import { sampleReport } from '../test-support/sample-report.js';
import { REPORTERS } from './index.js';
import { MAX_SARIF_BYTES, MAX_SARIF_RESULTS } from './sarif.js';

/** CI clones the project beside shared/; UPLOAD_AUDIT_VALIDATORS points elsewhere if needed. */
const VALIDATORS = process.env.UPLOAD_AUDIT_VALIDATORS ?? join(PROJECT_ROOT, '../shared/validators');
const dir = mkdtempSync(join(tmpdir(), 'upload-audit-validate-'));

/** Run one of the shared validators (tools nobody here wrote) on a file; show its output on failure. */
function validate(script: string, file: string, ...flags: string[]): void {
  if (!existsSync(join(VALIDATORS, script)))
    throw new Error(`the shared validators are missing: ${VALIDATORS}`);
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
  it('for a report full of hostile names, suppressions and archive findings', () => {
    validate(
      'validate-sarif.sh',
      write('sample.sarif', REPORTERS.sarif(sample(), { color: chalkFor(0) })),
      '--github',
    );
  }, 600_000);

  it('for the demo folder scan and an upload-log audit', () => {
    const scan = join(dir, 'demo.sarif');
    cli(['scan', 'fixtures/demo-uploads', '--format', `sarif=${scan}`, '-q']);
    const log = join(dir, 'log.sarif');
    cli([
      'log',
      'fixtures/logs/uploads.jsonl',
      '--root',
      'fixtures/demo-uploads',
      '--format',
      `sarif=${log}`,
      '-q',
    ]);
    validate('validate-sarif.sh', scan, '--github');
    validate('validate-sarif.sh', log, '--github');
  }, 600_000);

  it('stays within GitHub’s limits (25,000 results, 10 MB) and says what it left out', () => {
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
  it('for the hostile sample, the demo scan and a run with a baseline', () => {
    validate('validate-junit.sh', write('sample.xml', REPORTERS.junit(sample(), { color: chalkFor(0) })));
    const scan = join(dir, 'demo.xml');
    cli(['scan', 'fixtures/demo-uploads', '--format', `junit=${scan}`, '-q']);
    validate('validate-junit.sh', scan);
    const baseline = join(dir, 'base.json');
    cli(['scan', 'fixtures/demo-uploads/users', '--format', `json=${baseline}`, '-q']);
    const compared = join(dir, 'compared.xml');
    cli(['scan', 'fixtures/demo-uploads', '--baseline', baseline, '--format', `junit=${compared}`, '-q']);
    validate('validate-junit.sh', compared);
  }, 600_000);
});
