import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../model/types.js';
import { elf, jpeg, zip } from '../../test-support/bytes.js';
import { BIN, cliInProcess } from '../../test-support/cli.js';
import { S3_ENV, s3Proxy, startBucketServer, type TestBucketServer } from '../../test-support/s3.js';

let server: TestBucketServer;

const OBJECTS = {
  'avatars/ok.jpg': { body: jpeg(), type: 'image/jpeg' },
  'avatars/shell.php.jpg': { body: '<?php system($_GET["c"]); ?>', type: 'image/jpeg' },
  'avatars/$(id).jpg': { body: jpeg(), type: 'image/jpeg' },
  'docs/setup.exe.jpg': { body: Buffer.concat([elf(), Buffer.alloc(2 * 1024 * 1024)]), type: 'image/jpeg' },
  'docs/bundle.zip': { body: zip({ '../../evil.php': '<?php eval($_POST[1]);' }), type: 'application/zip' },
  'x/.htaccess': { body: 'AddType application/x-httpd-php .jpg', type: 'text/plain' },
};

beforeAll(async () => {
  server = await startBucketServer();
}, 60_000);
afterAll(() => server?.stop());

const run = (args: string[]) =>
  cliInProcess([...args, '--endpoint-url', server.endpoint, '--path-style'], S3_ENV);

async function keys(bucket: string, prefix = ''): Promise<string[]> {
  const listed = await server.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

async function object(bucket: string, key: string): Promise<{ body: Buffer; type: string | undefined }> {
  const got = await server.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: Buffer.from(await got.Body!.transformToByteArray()), type: got.ContentType };
}

const findingsOf = async (bucket: string) =>
  (JSON.parse((await run(['scan', `s3://${bucket}`, '-f', 'json'])).stdout) as Report).findings
    .map((f) => `${f.path} ${f.ruleId}`)
    .sort();

describe('fix s3://BUCKET --quarantine s3://QBUCKET', () => {
  it('plans, moves flagged objects to the quarantine bucket under generated keys, and restore puts them back', async () => {
    await server.bucket('app', OBJECTS);
    await server.bucket('app-quarantine', {});
    const before = await keys('app');
    const dry = await run(['fix', 's3://app', '--quarantine', 's3://app-quarantine/q']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    expect(dry.stdout).toMatch(/quarantine\s+avatars\/shell\.php\.jpg/);
    expect(await keys('app')).toEqual(before);
    expect(await keys('app-quarantine')).toEqual([]);

    const applied = await run(['fix', 's3://app', '--quarantine', 's3://app-quarantine/q', '--apply']);
    expect(applied.stderr).toBe('');
    expect(applied.status, applied.stdout).toBe(0);
    const runUrl = /Undo with: upload-audit restore (s3:\/\/\S+)/.exec(applied.stdout)![1]!;
    expect(applied.stdout).toContain(`--endpoint-url ${server.endpoint} --path-style`);
    expect(applied.stdout).toMatch(/5 moved to quarantine .*0 failed/);
    expect(await keys('app')).toEqual(['avatars/ok.jpg']);
    const runPrefix = runUrl.slice('s3://app-quarantine/'.length);
    const kept = await keys('app-quarantine', `${runPrefix}files/`);
    // Generated names only: no hostile key in the quarantine.
    expect(kept.map((k) => k.slice(runPrefix.length))).toEqual(
      ['files/1', 'files/2', 'files/3', 'files/4', 'files/5'].sort(),
    );
    expect(await findingsOf('app')).toEqual([]);
    const manifest = JSON.parse(
      (await object('app-quarantine', `${runPrefix}manifest.json`)).body.toString(),
    ) as {
      root: string;
      complete: boolean;
      entries: { key: string; to: string; original: string }[];
    };
    expect(manifest).toMatchObject({ root: 's3://app/', complete: true });
    expect(manifest.entries.map((e) => e.original).sort()).toEqual(
      [
        'avatars/$(id).jpg',
        'avatars/shell.php.jpg',
        'docs/bundle.zip',
        'docs/setup.exe.jpg',
        'x/.htaccess',
      ].sort(),
    );
    // A second fix finds nothing more to do and starts a new run, not the finished one.
    const again = await run(['fix', 's3://app', '--quarantine', 's3://app-quarantine/q', '--apply']);
    expect(again.stdout).toContain('0 moved to quarantine');

    const restored = await run(['restore', runUrl]);
    expect(restored.stderr).toBe('');
    expect(restored.stdout).toBe('5 restored, 0 conflict(s), 0 failed\n');
    expect(restored.status).toBe(0);
    expect(await keys('app')).toEqual(before);
    for (const [key, { body, type }] of Object.entries(OBJECTS))
      expect(await object('app', key)).toEqual({ body: Buffer.from(body), type });
    expect(await keys('app-quarantine', `${runPrefix}files/`)).toEqual([]);
    const after = JSON.parse(
      (await object('app-quarantine', `${runPrefix}manifest.json`)).body.toString(),
    ) as {
      entries: { restored: boolean }[];
    };
    expect(after.entries.every((e) => e.restored)).toBe(true);
  });

  it('restore never overwrites an object uploaded since; --force keeps it aside in the quarantine', async () => {
    await server.bucket('conflict', { 'a/shell.php': '<?php echo 1;', 'a/ok.txt': 'hello' });
    await server.bucket('conflict-q', {});
    const applied = await run(['fix', 's3://conflict', '--quarantine', 's3://conflict-q', '--apply']);
    expect(applied.status).toBe(0);
    const runUrl = /Undo with: upload-audit restore (s3:\/\/\S+)/.exec(applied.stdout)![1]!;
    await server.client.send(new PutObjectCommand({ Bucket: 'conflict', Key: 'a/shell.php', Body: 'newer' }));
    const refused = await run(['restore', runUrl]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('0 restored, 1 conflict(s)');
    expect((await object('conflict', 'a/shell.php')).body.toString()).toBe('newer');
    const forced = await run(['restore', runUrl, '--force']);
    expect(forced.status).toBe(0);
    const aside = /moved aside to (s3:\/\/\S+)/.exec(forced.stdout)![1]!;
    expect((await object('conflict', 'a/shell.php')).body.toString()).toBe('<?php echo 1;');
    expect((await object('conflict-q', aside.slice('s3://conflict-q/'.length))).body.toString()).toBe(
      'newer',
    );
  });

  it('refuses a quarantine that is not a bucket, overlaps the root, or is held by a live run', async () => {
    await server.bucket('guarded', { 'shell.php': '<?php' });
    await server.bucket('guarded-q', {});
    const local = await run(['fix', 's3://guarded', '--quarantine', '/tmp/q']);
    expect(local.status).toBe(2);
    expect(local.stderr).toContain('--quarantine s3://BUCKET[/PREFIX]');
    const inside = await run(['fix', 's3://guarded', '--quarantine', 's3://guarded/q']);
    expect(inside.status).toBe(2);
    expect(inside.stderr).toMatch(
      /^upload-audit: quarantine 's3:\/\/guarded\/q' and 's3:\/\/guarded' overlap/,
    );
    // A lock held by a live process on this machine (this test's own).
    const holder = {
      host: hostname(),
      pid: process.pid,
      what: 'fix --apply',
      since: new Date().toISOString(),
    };
    await server.client.send(
      new PutObjectCommand({ Bucket: 'guarded-q', Key: '.lock', Body: JSON.stringify(holder) }),
    );
    const held = await run(['fix', 's3://guarded', '--quarantine', 's3://guarded-q', '--apply']);
    expect(held.status).toBe(2);
    expect(held.stderr).toMatch(
      /^upload-audit: quarantine 's3:\/\/guarded-q' is in use by fix --apply .*\n$/,
    );
    expect(await keys('guarded')).toEqual(['shell.php']);
    // Left by a process that is gone: taken over.
    await server.client.send(
      new PutObjectCommand({
        Bucket: 'guarded-q',
        Key: '.lock',
        Body: JSON.stringify({ ...holder, pid: 2 ** 22 + 1 }),
      }),
    );
    const taken = await run(['fix', 's3://guarded', '--quarantine', 's3://guarded-q', '--apply']);
    expect(taken.status).toBe(0);
    expect(await keys('guarded')).toEqual([]);
    expect(await keys('guarded-q', '.lock')).toEqual([]);
  });

  it('after kill -9 mid-move every object is in place or in quarantine; --apply finishes; restore reverses', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `u/shell-${i}.php.jpg`);
    for (const [killOn, nth] of [
      ['copy', 3],
      ['delete', 2],
      ['journal', 5],
    ] as const) {
      const bucket = `crash-${killOn}`;
      const quarantine = `${bucket}-q`;
      await server.bucket(bucket, Object.fromEntries(names.map((n) => [n, '<?php echo 1;'])));
      await server.bucket(quarantine, {});
      let seen = 0;
      let kill: () => void = () => {};
      const front = await s3Proxy(server.endpoint, (req) => {
        const method = req.method ?? '';
        const url = decodeURIComponent(req.url ?? '');
        const hit =
          killOn === 'copy'
            ? method === 'PUT' && url.includes('/files/')
            : killOn === 'delete'
              ? method === 'DELETE' && url.startsWith(`/${bucket}/`)
              : method === 'PUT' && url.includes('/journal/');
        if (hit && ++seen === nth) {
          kill();
          return 'hang';
        }
        return false;
      });
      try {
        const child = spawn(
          process.execPath,
          [
            BIN,
            'fix',
            `s3://${bucket}`,
            '--quarantine',
            `s3://${quarantine}`,
            '--apply',
            '--endpoint-url',
            front.endpoint,
            '--path-style',
          ],
          { env: { ...process.env, ...S3_ENV }, stdio: 'ignore' },
        );
        const exited = new Promise((done) => child.once('exit', done));
        kill = () => child.kill('SIGKILL');
        await exited;
      } finally {
        await front.close();
      }
      const placed = async () => {
        const inPlace = await keys(bucket);
        const inQuarantine = (await keys(quarantine)).filter((k) => k.includes('/files/'));
        return { inPlace, inQuarantine };
      };
      // Killed mid-run: each object is somewhere (once in place, or as one quarantined copy).
      const mid = await placed();
      expect(mid.inPlace.length + mid.inQuarantine.length).toBeGreaterThanOrEqual(names.length);
      // The stale lock of the killed run is taken over; the open intents are finished.
      const resumed = await run(['fix', `s3://${bucket}`, '--quarantine', `s3://${quarantine}`, '--apply']);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain('resumed an interrupted run');
      expect((await placed()).inPlace).toEqual([]);
      expect((await placed()).inQuarantine).toHaveLength(names.length);
      const runUrl = /Undo with: upload-audit restore (s3:\/\/\S+)/.exec(resumed.stdout)![1]!;
      const restored = await run(['restore', runUrl]);
      expect(restored.stdout, killOn).toBe(`${names.length} restored, 0 conflict(s), 0 failed\n`);
      expect(await keys(bucket)).toEqual([...names].sort());
      for (const name of names) {
        const head = await server.client.send(new HeadObjectCommand({ Bucket: bucket, Key: name }));
        expect(head.ContentLength).toBe('<?php echo 1;'.length);
      }
    }
  }, 60_000);
});
