import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliInProcess, PROJECT_ROOT } from '../test-support/cli.js';

const DEMO = join(PROJECT_ROOT, 'fixtures/demo-uploads');
const dir = mkdtempSync(join(tmpdir(), 'ua-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool)
  console.warn(
    'skipped: promtool check metrics (Debian package prometheus; .ci/install-test-tools.sh installs it)',
  );

const heartbeat = (text: string): number =>
  Number(/upload_audit_last_full_coverage_timestamp_seconds\{[^}]*\} (\S+)/.exec(text)?.[1]);

describe('--metrics FILE', () => {
  it.skipIf(!hasPromtool)('writes what promtool accepts', async () => {
    const file = join(dir, 'demo.prom');
    expect((await cliInProcess(['scan', DEMO, '--metrics', file, '-q', '-o', '/dev/null'])).status).toBe(1);
    const check = spawnSync('promtool', ['check', 'metrics'], {
      input: readFileSync(file),
      encoding: 'utf8',
    });
    expect(check.stderr + check.stdout).toBe('');
    expect(check.status).toBe(0);
  });

  it('keeps the last full-coverage heartbeat through runs that could not evaluate everything', async () => {
    const root = join(dir, 'tree');
    mkdirSync(root);
    writeFileSync(join(root, 'a.jpg'), 'x');
    const file = join(dir, 'tree.prom');
    await cliInProcess(['scan', root, '--metrics', file, '-q', '-o', '/dev/null']);
    const full = readFileSync(file, 'utf8');
    expect(full).toContain(`upload_audit_entries{root="${root}",state="evaluated"} 1`);
    const first = heartbeat(full);
    expect(first).toBeGreaterThan(1.7e9);
    spawnSync('mkfifo', [join(root, 'pipe')]);
    await new Promise((wait) => setTimeout(wait, 20));
    await cliInProcess(['scan', root, '--metrics', file, '-q', '-o', '/dev/null']);
    const partial = readFileSync(file, 'utf8');
    expect(partial).toContain(`upload_audit_not_evaluated{root="${root}",reason="special-file"} 1`);
    expect(partial).toContain(`upload_audit_run_failed{root="${root}"} 1`);
    expect(heartbeat(partial)).toBe(first);
    rmSync(join(root, 'pipe'));
    await cliInProcess(['scan', root, '--metrics', file, '-q', '-o', '/dev/null']);
    expect(heartbeat(readFileSync(file, 'utf8'))).toBeGreaterThan(first);
  });
});

describe('the example alert rules', () => {
  /**
   * `promtool test rules` on examples/prometheus/upload-audit.rules.yml, fed the series of a real
   * run's metrics file. The test clock starts at 0: a heartbeat that stays at 0 is a day old at
   * 24 h; one refreshed every hour never is.
   */
  it.skipIf(!hasPromtool)(
    'fire on a day-old heartbeat (after an hour) and on critical findings',
    async () => {
      const file = join(dir, 'rules.prom');
      await cliInProcess(['scan', DEMO, '--metrics', file, '-q', '-o', '/dev/null']);
      const samples = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => {
          const at = line.lastIndexOf(' ');
          return { series: line.slice(0, at), value: line.slice(at + 1) };
        });
      const heartbeat = samples.find((s) =>
        s.series.startsWith('upload_audit_last_full_coverage_timestamp_seconds'),
      );
      expect(heartbeat).toBeDefined();
      const root = /root="([^"]*)"/.exec(heartbeat!.series)![1]!;
      const findings = samples.filter((s) => s.series.startsWith('upload_audit_findings{'));
      const tests = {
        rule_files: [join(PROJECT_ROOT, 'examples/prometheus/upload-audit.rules.yml')],
        evaluation_interval: '1m',
        tests: [
          {
            // One sample a minute, as evaluated: with gaps past the 5 min lookback, `for` restarts.
            interval: '1m',
            input_series: [
              ...findings.map((s) => ({ series: s.series, values: `${s.value}x2000` })),
              { series: heartbeat!.series, values: '0x2000' },
              { series: heartbeat!.series.replace(root, 'fresh'), values: '0+60x2000' },
            ],
            alert_rule_test: [
              { eval_time: '23h', alertname: 'UploadAuditStale', exp_alerts: [] },
              // Stale since 24 h, but `for: 1h` has not passed yet.
              { eval_time: '24h30m', alertname: 'UploadAuditStale', exp_alerts: [] },
              {
                eval_time: '25h10m',
                alertname: 'UploadAuditStale',
                exp_alerts: [
                  {
                    exp_labels: { root },
                    exp_annotations: { summary: `No full upload-audit of ${root} for over a day` },
                  },
                ],
              },
              {
                eval_time: '5m',
                alertname: 'UploadAuditCritical',
                exp_alerts: [
                  {
                    exp_labels: { root },
                    exp_annotations: { summary: `upload-audit found critical findings in ${root}` },
                  },
                ],
              },
            ],
          },
        ],
      };
      // YAML is a superset of JSON: promtool reads this as written.
      const testFile = join(dir, 'rules.test.yml');
      writeFileSync(testFile, JSON.stringify(tests));
      const run = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8' });
      expect(run.stdout + run.stderr).toContain('SUCCESS');
      expect(run.status).toBe(0);
    },
  );
});

describe('--notify URL', () => {
  /** A webhook that answers the statuses given, in turn, and keeps what it received. */
  async function webhook(statuses: number[]): Promise<{ url: string; received: unknown[]; server: Server }> {
    const received: unknown[] = [];
    const server = createServer(async (req: IncomingMessage, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      received.push(JSON.parse(body));
      res.writeHead(statuses.shift() ?? 200).end();
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/s3cret-token`,
      received,
      server,
    };
  }

  it('posts a summary, retries a server error, and never changes the exit status', async () => {
    const hook = await webhook([500, 200]);
    try {
      const run = await cliInProcess(['scan', DEMO, '--notify', hook.url, '-q', '-o', '/dev/null']);
      expect(run.status).toBe(1);
      expect(run.stderr).toBe('');
      expect(hook.received).toHaveLength(2);
      expect(hook.received[1]).toMatchObject({
        type: 'upload-audit.run',
        failed: true,
        findingsListed: 'all',
        summary: { findings: expect.any(Number) },
      });
      const slack = await webhook([]);
      await cliInProcess([
        'scan',
        DEMO,
        '--notify',
        slack.url,
        '--notify-format',
        'slack',
        '-q',
        '-o',
        '/dev/null',
      ]);
      expect(slack.received[0]).toEqual({
        text: expect.stringMatching(/^upload-audit FAIL on .*demo-uploads: \d+ findings/),
      });
      slack.server.close();
    } finally {
      hook.server.close();
    }
  });

  it('with a history lists only the new findings; a webhook that cannot be reached is one line', async () => {
    const history = join(dir, 'history');
    await cliInProcess(['scan', DEMO, '--history', history, '-q', '-o', '/dev/null']);
    const hook = await webhook([]);
    await cliInProcess(['scan', DEMO, '--history', history, '--notify', hook.url, '-q', '-o', '/dev/null']);
    expect(hook.received[0]).toMatchObject({ findingsListed: 'new', findings: [], comparison: { new: 0 } });
    hook.server.close();

    const gone = await cliInProcess([
      'scan',
      DEMO,
      '--notify',
      'http://127.0.0.1:9/hook/s3cret',
      '-q',
      '-o',
      '/dev/null',
    ]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/^upload-audit: notification to http:\/\/127\.0\.0\.1:9 failed: .+\n$/);
    expect(gone.stderr).not.toContain('s3cret');
  }, 30_000);
});
