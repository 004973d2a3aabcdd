import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parsePolicyText, toPolicySet } from '../policy/load.js';
import type { PolicySet } from '../policy/policy.js';
import { jpeg, zip } from '../test-support/bytes.js';
import { BIN } from '../test-support/cli.js';
import { testCheckServer } from '../test-support/serve.js';
import type { CheckAnswer, CheckServer, ServeOptions } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'ua-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const policyOf = (yaml: string): PolicySet =>
  toPolicySet(parsePolicyText(`version: 1\n${yaml}`, 'p.yaml'), 'p.yaml');

const running: CheckServer[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
});

async function serve(over: Partial<ServeOptions> = {}): Promise<{ server: CheckServer; url: string }> {
  const server = testCheckServer({ maxBodyBytes: 8 * 1024 * 1024, maxInFlight: 8, ...over });
  const url = await server.start();
  running.push(server);
  return { server, url };
}

/** POST a body to /v1/check with query `query`; the status and JSON answer. */
async function check(
  url: string,
  query: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${url}/v1/check?${query}`, { method: 'POST', body, headers });
  return { status: response.status, answer: (await response.json()) as CheckAnswer };
}

const rules = (answer: CheckAnswer): string[] => answer.findings.map((f) => String(f.ruleId)).sort();

describe('upload-audit serve: /v1/check', () => {
  it('allows a clean upload and refuses a script dressed as an image, with the findings of a scan', async () => {
    const { url } = await serve();
    const clean = await check(url, 'filename=avatar.jpg', jpeg(), { 'content-type': 'image/jpeg' });
    expect(clean).toMatchObject({ status: 200, answer: { allowed: true, complete: true, findings: [] } });
    const shell = await check(url, 'filename=avatar.php.jpg', '<?php system($_GET["c"]);', {
      'content-type': 'image/jpeg',
    });
    expect(shell.answer.allowed).toBe(false);
    expect(rules(shell.answer)).toEqual(
      expect.arrayContaining(['dangerous-extension/double-extension', 'mime-mismatch/executable']),
    );
    // The declared type is the request's Content-Type: an "image" sent as text/html.
    const markup = await check(url, 'filename=me.jpg', jpeg(), { 'content-type': 'text/html' });
    expect(rules(markup.answer)).toContain('active-content/declared-markup');
    // Encrypted content was not seen: not complete, so never allowed, whatever else it holds.
    const locked = await check(url, 'filename=photos.zip', zip({ 'a.jpg': { data: 'x', encrypted: true } }));
    expect(locked.answer).toMatchObject({
      allowed: false,
      complete: false,
      encrypted: '1 encrypted archive entry: a.jpg',
    });
  });

  it('applies the overrides of the destination path, and takes one file from a multipart body', async () => {
    const policy = policyOf(
      "rules: { unsafe-filename: high }\noverrides:\n  - paths: ['imports/**']\n    rules: { unsafe-filename: off }\n",
    );
    const { url } = await serve({ policy });
    const body = jpeg();
    expect((await check(url, 'filename=-rf.jpg&path=users/1/-rf.jpg', body)).answer.allowed).toBe(false);
    expect((await check(url, 'filename=-rf.jpg&path=imports/-rf.jpg', body)).answer.allowed).toBe(true);

    const form = new FormData();
    form.append('note', 'hello');
    form.append('file', new Blob(['<?php echo 1;'], { type: 'image/png' }), 'x.php.png');
    const response = await fetch(`${url}/v1/check`, { method: 'POST', body: form });
    const answer = (await response.json()) as CheckAnswer;
    expect(answer.allowed).toBe(false);
    expect(answer.findings[0]?.path).toBe('x.php.png');
    expect(rules(answer)).toContain('mime-mismatch/three-way'); // name, declared image/png, PHP content
  });

  it('answers a body over the size limit for its name before it is whole, and refuses one over --max-body', async () => {
    const { url } = await serve({ policy: policyOf('limits: { sizes: { image: 64KiB } }\n') });
    const answer = await new Promise<CheckAnswer>((resolve, reject) => {
      const req = request(`${url}/v1/check?filename=big.jpg`, { method: 'POST' }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', (error) =>
        String(error).includes('ECONNRESET') || String(error).includes('EPIPE') ? undefined : reject(error),
      );
      // A JPEG head, then far more than the limit, sent slowly: the verdict must not wait for it.
      req.write(jpeg());
      let sent = 0;
      const more = setInterval(() => {
        if (sent++ > 200 || req.destroyed) return clearInterval(more);
        req.write(Buffer.alloc(16 * 1024));
      }, 5);
    });
    expect(answer).toMatchObject({ allowed: false, complete: false });
    expect(rules(answer)).toEqual(['size/over-limit']);

    const small = await serve({ maxBodyBytes: 1024 });
    const tooBig = await check(small.url, 'filename=a.jpg', Buffer.alloc(4096));
    expect(tooBig.status).toBe(413);
  });

  it('asks for a bearer token when one is set, refuses paths that climb, and says what it is', async () => {
    const { url } = await serve({ token: 's3cret' });
    expect((await check(url, 'filename=a.jpg', jpeg())).status).toBe(401);
    const ok = await check(url, 'filename=a.jpg', jpeg(), { authorization: 'Bearer s3cret' });
    expect(ok.status).toBe(200);
    const climbing = await check(url, 'filename=a.jpg&path=../../etc/a.jpg', jpeg(), {
      authorization: 'Bearer s3cret',
    });
    expect(climbing.status).toBe(400);
    const health = await fetch(`${url}/healthz`, { headers: { authorization: 'Bearer s3cret' } });
    expect(await health.json()).toMatchObject({ status: 'ok', policy: { source: 'built-in' } });
  });

  it('answers 503 with Retry-After when too many requests are in flight', async () => {
    const { url } = await serve({ maxInFlight: 1 });
    // One request whose body never ends holds the only place.
    const held = request(`${url}/v1/check?filename=a.jpg`, { method: 'POST' });
    held.on('error', () => {});
    held.write(jpeg());
    await new Promise((wait) => setTimeout(wait, 100));
    const response = await fetch(`${url}/v1/check?filename=b.jpg`, { method: 'POST', body: jpeg() });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    held.destroy();
  });

  it('counts requests, verdicts, findings and latency in Prometheus text format; a reload changes the policy', async () => {
    const { server, url } = await serve();
    await check(url, 'filename=a.jpg', jpeg());
    await check(url, 'filename=a.php', '<?php echo 1;');
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('upload_audit_checks_total{verdict="allowed"} 1');
    expect(text).toContain('upload_audit_checks_total{verdict="refused"} 1');
    expect(text).toContain('upload_audit_requests_total{route="/v1/check",code="200"} 2');
    expect(text).toMatch(/upload_audit_check_duration_seconds_count 2\n/);
    // Every sample line is NAME{labels} VALUE, after its HELP and TYPE.
    for (const line of text.trim().split('\n'))
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [\d.e+-]+)$/);
    const before = server.policy.digest;
    server.reload(policyOf('rules: { size/empty: info }\n'));
    const health = (await (await fetch(`${url}/healthz`)).json()) as { policy: { digest: string } };
    expect(health.policy.digest).not.toBe(before);
  });
});

describe('upload-audit serve on the command line', () => {
  it('reloads its policy on SIGHUP, keeps the old one when the new has errors, stops on SIGTERM', async () => {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'version: 1\n');
    const child = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', '-p', policy], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const lines = (wanted: RegExp) =>
      new Promise<string>((resolve) => {
        const look = () => {
          const match = wanted.exec(stderr);
          if (match) resolve(match[0]);
          else setTimeout(look, 20);
        };
        look();
      });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const url = (await lines(/listening on (http:\/\/\S+?),/))
      .replace(/^listening on /, '')
      .replace(/,$/, '');
    const digest = async () =>
      ((await (await fetch(`${url}/healthz`)).json()) as { policy: { digest: string } }).policy.digest;
    const first = await digest();
    writeFileSync(policy, 'version: 1\nrules: { nonsense/rule: high }\n');
    child.kill('SIGHUP');
    await lines(/policy reload failed, keeping sha256:\w+: .+/);
    expect(await digest()).toBe(first);
    writeFileSync(policy, 'version: 1\nrules: { size/empty: info }\n');
    child.kill('SIGHUP');
    await lines(/policy reloaded: sha256:\w+/);
    expect(await digest()).not.toBe(first);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('GET /healthz 200');
  });
});
