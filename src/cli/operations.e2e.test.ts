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
