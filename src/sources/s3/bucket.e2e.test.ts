import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../model/types.js';
import { renderMessage } from '../../rules/messages.js';
import { elf, jpeg, pdf, png, zip } from '../../test-support/bytes.js';
import { cliInProcess } from '../../test-support/cli.js';
import { S3_ENV, s3Error, s3Proxy, startBucketServer, type TestBucketServer } from '../../test-support/s3.js';
import { tempTrees } from '../../test-support/tree.js';

const tree = tempTrees();
let server: TestBucketServer;

/** A large object of which only the bounds should be fetched: a JPEG head, then 6 MiB. */
const large = Buffer.concat([jpeg(), Buffer.alloc(6 * 1024 * 1024, 0x20)]);

const OBJECTS = {
  'avatars/ok.jpg': { body: jpeg(), type: 'image/jpeg' },
  'avatars/shell.php.jpg': { body: '<?php system($_GET["c"]); ?>', type: 'image/jpeg' },
  'avatars/page.jpg': {
    body: '<html><body><script>alert(document.cookie)</script></body></html>',
    type: 'text/html',
  },
  'docs/report.pdf': { body: pdf(), type: 'application/pdf' },
  'docs/holiday.jpg': { body: large, type: 'image/jpeg' },
  'docs/setup.exe.jpg': { body: Buffer.concat([elf(), Buffer.alloc(4 * 1024 * 1024)]), type: 'image/jpeg' },
  'docs/bundle.zip': { body: zip({ '../../evil.php': '<?php eval($_POST[1]);' }), type: 'application/zip' },
  'x/.htaccess': { body: 'AddType application/x-httpd-php .jpg', type: 'text/plain' },
  'x/..\\..\\cron.php': { body: '<?php', type: 'application/octet-stream' },
};

beforeAll(async () => {
  server = await startBucketServer();
  await server.bucket('uploads', OBJECTS);
}, 60_000);
afterAll(() => server?.stop());

const scanBucket = (url: string, ...args: string[]) =>
  cliInProcess(
    ['scan', url, '--endpoint-url', server.endpoint, '--path-style', '-f', 'json', ...args],
    S3_ENV,
  );

/** An ELF binary padded to `size` bytes. */
function elfOfSize(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  elf().copy(bytes);
  return bytes;
}

const hits = (report: Report): string[] => report.findings.map((f) => `${f.path} ${f.ruleId}`).sort();

describe('scan s3://BUCKET', () => {
  it('judges objects by key, size, content and the Content-Type the bucket stored', async () => {
    const run = await scanBucket('s3://uploads');
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.source).toBe('bucket');
    expect(report.summary).toMatchObject({ files: 9, evaluated: 9, notEvaluated: 0 });
    const found = hits(report);
    expect(found).toEqual(
      expect.arrayContaining([
        'avatars/shell.php.jpg dangerous-extension/double-extension',
        'avatars/shell.php.jpg mime-mismatch/three-way',
        'avatars/page.jpg active-content/declared-markup',
        'avatars/page.jpg mime-mismatch/declared-type',
        'docs/bundle.zip archive/zip-slip',
        'x/.htaccess dangerous-extension/server-config',
        'x/..\\\\..\\\\cron.php path-traversal/stored-outside',
      ]),
    );
    expect(found.some((h) => h.startsWith('avatars/ok.jpg') || h.startsWith('docs/report.pdf'))).toBe(false);
    expect(found.some((h) => h.startsWith('docs/holiday.jpg'))).toBe(false);
    // A flagged object over 1 MiB is fingerprinted by its ETag, not fetched whole to be hashed.
    const setup = report.findings.find((f) => f.path === 'docs/setup.exe.jpg');
    expect(setup?.ruleId).toBeDefined();
    expect(setup?.sha256).toBeUndefined();
  });

  it('fetches what the read bounds say, not what the objects hold', async () => {
    const run = await scanBucket('s3://uploads', '-o', '/dev/null');
    const [, requests, fetched, stored] = /(\d+) range requests fetched (\d+) bytes of the (\d+) stored/.exec(
      run.stderr,
    )!;
    expect(Number(stored)).toBeGreaterThan(large.length);
    expect(Number(fetched) / Number(stored)).toBeLessThan(0.05);
    expect(Number(requests)).toBeGreaterThan(0);
  });

  it('reports what a scan of the same files on disk reports, but for the stored types', async () => {
    const root = tree({});
    for (const [key, { body }] of Object.entries(OBJECTS)) {
      mkdirSync(dirname(join(root, key)), { recursive: true });
      writeFileSync(join(root, key), body);
    }
    const disk = JSON.parse((await cliInProcess(['scan', root, '-f', 'json'])).stdout) as Report;
    const bucket = JSON.parse((await scanBucket('s3://uploads')).stdout) as Report;
    const byStoredType = new Set([
      'mime-mismatch/three-way',
      'mime-mismatch/declared-type',
      'active-content/declared-markup',
      'path-traversal/stored-outside',
    ]);
    // The large flagged object's fingerprint is its ETag's in the bucket, its sha256's on disk.
    const withoutStored = (r: Report) =>
      r.findings
        .filter(
          (f) =>
            !byStoredType.has(f.ruleId) && f.category !== 'permissions' && f.path !== 'docs/setup.exe.jpg',
        )
        .map((f) => `${f.path} ${f.ruleId} ${f.fingerprint}`)
        .sort();
    expect(withoutStored(bucket)).toEqual(withoutStored(disk));
  });

  it('takes a prefix as the root, shards by key, and a bucket that cannot be listed is exit 2', async () => {
    const docs = JSON.parse((await scanBucket('s3://uploads/docs')).stdout) as Report;
    expect(docs.summary.files).toBe(4);
    expect(hits(docs).filter((h) => h.startsWith('bundle.zip'))).toEqual([
      'bundle.zip active-content/server-code',
      'bundle.zip archive/dangerous-entry',
      'bundle.zip archive/zip-slip',
    ]);
    const all = hits(JSON.parse((await scanBucket('s3://uploads')).stdout));
    const parts: string[] = [];
    for (const shard of ['1/2', '2/2'])
      parts.push(...hits(JSON.parse((await scanBucket('s3://uploads', '--shard', shard)).stdout)));
    expect(parts.sort()).toEqual(all);
    const missing = await scanBucket('s3://no-such-bucket');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(
      /^upload-audit: cannot list 's3:\/\/no-such-bucket': NoSuchBucket \(HTTP 404\)\n$/,
    );
    const badName = await scanBucket('s3://A');
    expect(badName.status).toBe(2);
    const ctime = await scanBucket('s3://uploads', '--ignore-ctime', '--history', tree({}));
    expect(ctime.stderr).toBe(
      'upload-audit: --ignore-ctime is for folders: a bucket rescan compares ETags\n',
    );
  });

  it('retries throttling with backoff, and an object it may not read is not evaluated, never clean', async () => {
    await server.bucket('flaky', {
      'slow.jpg': { body: jpeg(), type: 'image/jpeg' },
      'secret.php': { body: '<?php', type: 'text/plain' },
      'fine.jpg': { body: jpeg(), type: 'image/jpeg' },
    });
    // A proxy in front of the store: SlowDown twice for slow.jpg, AccessDenied always for secret.php.
    let slowDowns = 0;
    const proxy = await s3Proxy(server.endpoint, (req, res) => {
      if (req.method === 'GET' && req.url?.includes('slow.jpg') && slowDowns < 2) {
        slowDowns++;
        return s3Error(res, 503, 'SlowDown');
      }
      if (req.url?.includes('secret.php') && !req.url.includes('list-type'))
        return s3Error(res, 403, 'AccessDenied');
      return false;
    });
    try {
      const run = await cliInProcess(
        ['scan', 's3://flaky', '--endpoint-url', proxy.endpoint, '--path-style', '-f', 'json'],
        S3_ENV,
      );
      const report = JSON.parse(run.stdout) as Report;
      expect(slowDowns).toBe(2);
      expect(report.summary).toMatchObject({ files: 3, evaluated: 2, notEvaluated: 1 });
      expect(report.notEvaluated).toEqual([
        { path: 'secret.php', reason: 'unreadable', detail: 'AccessDenied (HTTP 403)' },
      ]);
      // Not evaluated fails the gate unless the operator accepts gaps.
      expect(run.status).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('--state: an unchanged bucket is one listing, a rewritten object is read again', async () => {
    await server.bucket('nightly', {
      'a/ok.jpg': { body: jpeg(), type: 'image/jpeg' },
      'a/shell.php.jpg': { body: '<?php echo 1;', type: 'image/jpeg' },
      'b/doc.pdf': { body: pdf(), type: 'application/pdf' },
    });
    const state = join(tree({}), 'bucket-state');
    const comparable = (stdout: string) => {
      const { startedAt: _s, durationMs: _d, incremental: _i, ...rest } = JSON.parse(stdout) as Report;
      return JSON.stringify(rest);
    };
    const full = await scanBucket('s3://nightly');
    const first = await scanBucket('s3://nightly', '--state', state);
    expect(JSON.parse(first.stdout).incremental).toMatchObject({ mode: 'full', reread: 3 });
    const again = await scanBucket('s3://nightly', '--state', state);
    expect(JSON.parse(again.stdout).incremental).toMatchObject({ mode: 'incremental', reused: 3, reread: 0 });
    expect(again.stderr).toContain('0 range requests fetched 0 bytes');
    expect(comparable(again.stdout)).toBe(comparable(full.stdout));
    // Rewritten behind the tool's back with the same size: a new ETag.
    await server.client.send(
      new PutObjectCommand({
        Bucket: 'nightly',
        Key: 'a/ok.jpg',
        Body: elfOfSize(jpeg().length),
        ContentType: 'image/jpeg',
      }),
    );
    const changed = await scanBucket('s3://nightly', '--state', state);
    expect(JSON.parse(changed.stdout).incremental).toMatchObject({
      mode: 'incremental',
      reused: 2,
      reread: 1,
    });
    expect(comparable(changed.stdout)).toBe(comparable((await scanBucket('s3://nightly')).stdout));
    expect(hits(JSON.parse(changed.stdout))).toContain('a/ok.jpg mime-mismatch/executable');
  });

  it('public grants: a bucket policy, a bucket ACL and (with --object-acls) object ACLs are findings', async () => {
    await server.bucket('exposed', {
      'public/a.jpg': { body: jpeg(), type: 'image/jpeg' },
      'public/private/b.jpg': { body: jpeg(), type: 'image/jpeg' },
      'other/c.jpg': { body: jpeg(), type: 'image/jpeg' },
    });
    const acl = (permission: string | undefined) =>
      `<?xml version="1.0" encoding="UTF-8"?><AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID></Owner><AccessControlList>${
        permission === undefined
          ? ''
          : `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>${permission}</Permission></Grant>`
      }</AccessControlList></AccessControlPolicy>`;
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::exposed/public/*',
        },
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::exposed/public/private/*',
        },
      ],
    };
    let bucketAcl: string | undefined;
    let aclRequests = 0;
    const proxy = await s3Proxy(server.endpoint, (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      url.pathname = url.pathname.replace(/\/$/, '');
      const answer = (type: string, body: string) => {
        res.writeHead(200, { 'content-type': type });
        res.end(body);
        return true;
      };
      if (url.pathname === '/exposed' && url.searchParams.has('policy'))
        return answer('application/json', JSON.stringify(policy));
      if (url.pathname === '/exposed' && url.searchParams.has('acl'))
        return answer('application/xml', acl(bucketAcl));
      if (url.pathname === '/exposed' && url.searchParams.has('publicAccessBlock'))
        return s3Error(res, 404, 'NoSuchPublicAccessBlockConfiguration');
      if (url.pathname === '/exposed' && url.searchParams.has('ownershipControls'))
        return s3Error(res, 404, 'OwnershipControlsNotFoundError');
      if (url.pathname.startsWith('/exposed/') && url.searchParams.has('acl')) {
        aclRequests++;
        return answer('application/xml', acl(url.pathname === '/exposed/other/c.jpg' ? 'READ' : undefined));
      }
      return false;
    });
    const scan = async (...args: string[]) => {
      const run = await cliInProcess(
        ['scan', 's3://exposed', '--endpoint-url', proxy.endpoint, '--path-style', '-f', 'json', ...args],
        S3_ENV,
      );
      expect(run.stderr).not.toContain('public access not fully checked');
      return (JSON.parse(run.stdout) as Report).findings
        .map((f) => `${f.path} ${f.ruleId} ${renderMessage(f)}`)
        .sort();
    };
    try {
      expect(await scan()).toEqual([
        'public/a.jpg permissions/public-read anyone may read it (the bucket policy)',
      ]);
      expect(aclRequests).toBe(0);
      expect(await scan('--object-acls')).toEqual([
        'other/c.jpg permissions/public-read anyone may read it (its ACL)',
        'public/a.jpg permissions/public-read anyone may read it (the bucket policy)',
      ]);
      expect(aclRequests).toBe(3);
      // --state: a verdict made under other grants is never reused.
      const state = join(tree({}), 'state');
      await scan('--state', state);
      await scan('--state', state);
      bucketAcl = 'WRITE';
      expect((await scan('--state', state)).filter((f) => f.includes('public-write'))).toHaveLength(3);
      expect((await scan()).filter((f) => f.includes('public-write'))).toEqual([
        'other/c.jpg permissions/public-write anyone may overwrite or re-permission it (the bucket ACL)',
        'public/a.jpg permissions/public-write anyone may overwrite or re-permission it (the bucket ACL)',
        'public/private/b.jpg permissions/public-write anyone may overwrite or re-permission it (the bucket ACL)',
      ]);
      // fix never quarantines an object for a grant: the grant is what needs fixing.
      const plan = await cliInProcess(
        [
          'fix',
          's3://exposed',
          '--quarantine',
          's3://exposed-q',
          '--endpoint-url',
          proxy.endpoint,
          '--path-style',
        ],
        S3_ENV,
      );
      expect(plan.stdout).toContain('Plan: 0 actions');
    } finally {
      await proxy.close();
    }
    // s3rver implements neither policies nor bucket ACLs: the run says so instead of calling them private.
    const bare = await scanBucket('s3://exposed', '-o', '/dev/null');
    expect(bare.stderr).toMatch(
      /public access not fully checked: .*bucket policy not reported \(MethodNotAllowed \(HTTP 405\)\)/,
    );
  });

  it("log --root s3://: a log's stored files read as objects, judged as on disk", async () => {
    const stored = { 'ok.jpg': jpeg(), 'cat.png': elf(), 'pic.png': png(), 'kept.php': '<?php' };
    await server.bucket(
      'stored',
      Object.fromEntries(Object.entries(stored).map(([key, body]) => [`up/${key}`, body])),
    );
    const logs = tree({
      'u.jsonl': [
        { filename: 'ok.jpg', stored_path: 'ok.jpg', content_type: 'image/jpeg' },
        { filename: 'cat.png', stored_path: 'cat.png', content_type: 'image/png' },
        { filename: 'pic.jpg', stored_path: 'pic.png', content_type: 'image/jpeg' },
        { filename: 'kept.php', stored_path: 'kept.php', status: 'rejected' },
        { filename: 'gone.jpg', stored_path: 'gone.jpg', status: 'stored' },
        { filename: 'escape.jpg', stored_path: '../../etc/passwd' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
      'access.log': [
        '198.51.100.7 - - [05/May/2024:03:04:05 +0000] "GET /kept.php?cmd=id HTTP/1.1" 200 31 "-" "curl"',
        '198.51.100.7 - - [05/May/2024:03:04:09 +0000] "GET /gone.php HTTP/1.1" 200 31 "-" "curl"',
      ].join('\n'),
      disk: stored,
    });
    const log = (root: string, file: string, ...args: string[]) =>
      cliInProcess(
        ['log', `${logs}/${file}`, '--root', root, '-f', 'json', '--upload-path', '.', ...args],
        S3_ENV,
      );
    const fromBucket = await log(
      's3://stored/up',
      'u.jsonl',
      '--endpoint-url',
      server.endpoint,
      '--path-style',
    );
    expect(fromBucket.stderr).toMatch(/range requests fetched \d+ bytes of stored objects/);
    const bucket = JSON.parse(fromBucket.stdout) as Report;
    const disk = JSON.parse((await log(`${logs}/disk`, 'u.jsonl')).stdout) as Report;
    const judged = (r: Report) => r.findings.map((f) => `${f.location?.line} ${f.path} ${f.ruleId}`).sort();
    expect(judged(bucket)).toEqual(judged(disk));
    expect(judged(bucket)).toEqual(
      expect.arrayContaining([
        '2 cat.png mime-mismatch/three-way',
        '3 pic.jpg mime-mismatch/three-way',
        '4 kept.php dangerous-extension/rejected-but-stored',
        '6 escape.jpg path-traversal/stored-outside',
      ]),
    );
    expect(bucket.notEvaluated.map((n) => `${n.location?.line} ${n.reason} ${n.detail}`)).toEqual([
      '5 missing stored object gone.jpg is missing',
    ]);
    // A script run from the upload folder: still stored, or gone, under the bucket root.
    const access = JSON.parse(
      (await log('s3://stored/up', 'access.log', '--endpoint-url', server.endpoint, '--path-style')).stdout,
    ) as Report;
    expect(
      access.findings
        .filter((f) => f.ruleId === 'dangerous-extension/script-run')
        .map((f) => renderMessage(f).replace(/.*; /, '')),
    ).toEqual(['it is still stored under --root', 'it is no longer stored under --root']);
  });
});
