import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LISTED_OCCURRENCES } from '../../audit/auditor.js';
import { renderMessage } from '../../rules/messages.js';
import { elf, jpeg, png } from '../../test-support/bytes.js';
import { cli, cliInProcess, normalizeTiming } from '../../test-support/cli.js';
import { expectGolden } from '../../test-support/golden.js';
import { tempTrees } from '../../test-support/tree.js';
import { DEFAULT_UPLOAD_PATH } from './combined.js';
import { runLog } from './run.js';

const uploadPath = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
const run = (files: string[], root?: string) =>
  runLog({ files, fields: {}, uploadPath, failOn: 'high', allowUnevaluated: false, ...(root && { root }) });
const rules = async (files: string[], root?: string) =>
  (await run(files, root)).findings.map((f) => `${f.location?.line} ${f.path} ${f.ruleId}`).sort();

describe('log audits', () => {
  const tree = tempTrees();

  it('list a bounded number of identical findings and count the rest (millions of repeated lines)', async () => {
    const dir = tree({});
    const lines = 1_500_000;
    const log = join(dir, 'repeated.jsonl.gz');
    const line = '{"filename":"shell.php","client":"203.0.113.9"}\n';
    writeFileSync(log, gzipSync(Buffer.from(line.repeat(lines))));
    const report = await runLog({
      files: [log],
      fields: {},
      uploadPath,
      failOn: 'high',
      allowUnevaluated: false,
    });
    expect(report.findings).toHaveLength(LISTED_OCCURRENCES);
    expect(report.summary.findings).toBe(lines);
    expect(report.summary.bySeverity.critical).toBe(lines);
    const last = report.findings.at(-1)!;
    expect(last.count).toBe(lines - LISTED_OCCURRENCES + 1);
    expect(renderMessage(last)).toMatch(/\(and 1,499,000 more like it, not listed\)$/);
    // The same bound holds when a plain log is read by threads in parts.
    const plain = join(dir, 'repeated.jsonl');
    writeFileSync(plain, line.repeat(300_000));
    const threaded = await runLog({
      files: [plain],
      fields: {},
      uploadPath,
      failOn: 'high',
      allowUnevaluated: false,
      concurrency: 2,
    });
    expect(threaded.findings).toHaveLength(LISTED_OCCURRENCES);
    expect(threaded.summary.findings).toBe(300_000);
  }, 60_000);

  it('match their golden reports (JSON Lines with --root, and an access log)', async () => {
    const jsonl = await cliInProcess([
      'log',
      'fixtures/logs/uploads.jsonl',
      '--root',
      'fixtures/demo-uploads',
      '--format',
      'json',
    ]);
    expect(jsonl.status).toBe(1);
    expectGolden('cli/log-uploads.json', normalizeTiming(jsonl.stdout));
    const access = await cliInProcess(['log', 'fixtures/logs/access.log', '--format', 'json']);
    expectGolden('cli/log-access.json', normalizeTiming(access.stdout));
    const iis = await cliInProcess(['log', 'fixtures/logs/iis-w3c.log', '--format', 'json']);
    expectGolden('cli/log-iis-w3c.json', normalizeTiming(iis.stdout));
  });

  it.each([
    ['haproxy.log', '/uploads/2024/03/avatar.php'],
    ['elb.log', '/media/shell.aspx'],
    ['envoy.log', '/uploads/2024/03/avatar.jsp'],
    ['heroku-router.log', '/uploads/avatar.php'],
    ['caddy.jsonl', '/uploads/x.php5'],
    ['docker-nginx.log', '/files/shell.phtml'],
  ])('read the sample %s whole, and find the web shell it records', async (name, shell) => {
    const report = await run([`fixtures/logs/${name}`]);
    expect(report.notEvaluated).toEqual([]);
    expect(report.findings.map((f) => [f.ruleId, f.path])).toEqual([
      ['dangerous-extension/script-run', shell],
    ]);
  });

  it('read the S3 server access log sample: a write whose key climbs out', async () => {
    const report = await run(['fixtures/logs/s3-access.log']);
    expect(report.notEvaluated).toEqual([]);
    expect(new Set(report.findings.map((f) => f.path))).toEqual(new Set(['avatars/..%2F..%2Fshell.php']));
    expect(report.findings.map((f) => f.ruleId)).toContain('path-traversal/stored-outside');
  });

  it('keep findings that do not hold the decoded chunks of the log alive', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // One finding per 256 KiB chunk, 20 MiB in all: findings holding slices would keep all of it.
    // Built in a function of its own, so that no temporary of this one holds the text.
    const writeLog = (): string => {
      const request = (what: string) =>
        `1.2.3.4 - bob [14/Mar/2024:09:12:05 +0000] "${what} HTTP/1.1" 201 1 "-" "x"\n`;
      const filler = request('GET /media/a.jpg').repeat(Math.ceil((256 * 1024) / 70));
      const chunks = Array.from(
        { length: 80 },
        (_, i) => `${request(`POST /upload?filename=shell_${i}_x.php`)}${filler}`,
      );
      return `${tree({ 'access.log': chunks.join('') })}/access.log`;
    };
    const file = writeLog();
    gc();
    const before = process.memoryUsage().heapUsed;
    const report = await run([file]);
    gc();
    expect(report.findings.filter((f) => f.path.startsWith('shell_'))).toHaveLength(80);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(4 * 1024 * 1024);
  });

  it('keeps benign traffic quiet: GETs, unicode names, dotted query strings, + for spaces', async () => {
    const dir = tree({
      'access.log': [
        '1.2.3.4 - - [14/Mar/2024:09:12:05 +0000] "GET /media/a.jpg?v=1.2.3 HTTP/1.1" 200 1 "-" "x"',
        '1.2.3.4 - - [14/Mar/2024:09:12:05 +0000] "GET /upload.php?step=2 HTTP/1.1" 200 1 "-" "x"',
        '1.2.3.4 - - [14/Mar/2024:09:12:05 +0000] "GET /uploads/probe.php HTTP/1.1" 404 1 "-" "x"',
        '1.2.3.4 - - [14/Mar/2024:09:12:05 +0000] "POST /upload?filename=%E5%B1%A5%E6%AD%B4.pdf&v=2.0.1 HTTP/1.1" 201 1 "-" "x"',
        '1.2.3.4 - - [14/Mar/2024:09:12:05 +0000] "POST /upload?filename=my+holiday+photo.jpg HTTP/1.1" 201 1 "-" "x"',
        '1.2.3.4 - - [14/Mar/2024:09:12:05 +0000] "PUT /uploads/summer.beach.2023.png HTTP/1.1" 201 1 "-" "x"',
      ].join('\n'),
      'uploads.jsonl': `${JSON.stringify({ filename: 'Résumé 履歴書.pdf', size: 1000, content_type: 'application/pdf' })}\n`,
    });
    expect(await rules([`${dir}/access.log`, `${dir}/uploads.jsonl`])).toEqual([]);
  });

  it('judge names as the server stores them (decoded), and page uploads by name', async () => {
    const line = (request: string) =>
      `1.2.3.4 - - [14/Mar/2024:09:12:05 +0000] "${request} HTTP/1.1" 201 1 "-" "x"`;
    const dir = tree({
      'access.log': [
        line('PUT /uploads/invoice%E2%80%AEfdp.pdf'),
        line('PUT /uploads/a%0Ab.jpg'),
        line('POST /upload?filename=x%1B%5B31mred.jpg'),
        line('PUT /uploads/page.html'),
        line('PUT /uploads/page.XHTML'),
        // Benign look-alikes: an encoded space, a page read (not uploaded), a photo.
        line('PUT /uploads/report%20final.pdf'),
        line('GET /uploads/page.html').replace('201', '200'),
        line('PUT /uploads/cat.jpg'),
      ].join('\n'),
      'uploads.jsonl': `${JSON.stringify({ filename: 'doc.htm', size: 10, content_type: 'text/html' })}\n`,
    });
    expect(await rules([`${dir}/access.log`, `${dir}/uploads.jsonl`])).toEqual([
      '1 doc.htm active-content/page-upload',
      '1 invoice%E2%80%AEfdp.pdf unsafe-filename/bidi',
      '2 a%0Ab.jpg unsafe-filename/control',
      '3 x%1B%5B31mred.jpg unsafe-filename/control',
      '4 page.html active-content/page-upload',
      '5 page.XHTML active-content/page-upload',
    ]);
  });

  it('reports a script run inside an upload folder as critical, with who, when and whether it is still stored', async () => {
    const dir = tree({
      'access.log': [
        '198.51.100.7 - - [05/May/2024:03:04:05 +0000] "GET /uploads/2024/05/shell.php?cmd=id HTTP/1.1" 200 31 "-" "curl"',
        '198.51.100.7 - - [05/May/2024:03:04:09 +0000] "POST /uploads/2024/05/gone.php HTTP/1.1" 200 31 "-" "curl"',
        '198.51.100.8 - - [05/May/2024:03:05:00 +0000] "POST /upload HTTP/1.1" 201 64 "-" "Mozilla/5.0"',
      ].join('\n'),
      root: { '2024': { '05': { 'shell.php': '<?php system($_GET["cmd"]);' } } },
    });
    const report = await run([`${dir}/access.log`], `${dir}/root`);
    const runs = report.findings.filter((f) => f.ruleId === 'dangerous-extension/script-run');
    expect(runs.map((f) => [f.severity, f.path, f.location?.line, f.client])).toEqual([
      ['critical', '/uploads/2024/05/shell.php', 1, '198.51.100.7'],
      ['critical', '/uploads/2024/05/gone.php', 2, '198.51.100.7'],
    ]);
    expect(renderMessage(runs[0]!)).toBe(
      'GET of the script /uploads/2024/05/shell.php inside an upload folder was answered 200, for 198.51.100.7 at 05/May/2024:03:04:05 +0000; it is still stored under --root',
    );
    expect(renderMessage(runs[1]!)).toMatch(/; it is no longer stored under --root$/);
    // The multipart POST names no file: counted as not evaluated, never judged by its endpoint.
    expect(report.findings.filter((f) => f.location?.line === 3)).toEqual([]);
    expect(report.notEvaluated).toMatchObject([{ reason: 'name-not-logged', location: { line: 3 } }]);
  });

  it('read access logs inside syslog and container lines, leaving other programs and streams out', async () => {
    const access = (ip: string, path: string) =>
      `${ip} - - [05/May/2024:03:04:05 +0000] "GET ${path} HTTP/1.1" 200 31 "-" "curl"`;
    const dir = tree({
      syslog: [
        'May  5 03:04:00 web1 sshd[811]: Accepted publickey for ops from 192.0.2.4 port 50022',
        `May  5 03:04:05 web1 nginx: ${access('198.51.100.7', '/uploads/a.php?cmd=id')}`,
        'May  5 03:04:06 web1 sshd[811]: pam_unix(sshd:session): session opened for user ops',
        `May  5 03:04:07 web1 nginx: ${access('198.51.100.8', '/uploads/photo.jpg')}`,
      ].join('\n'),
      'ingress.log': [
        `2024-05-05T03:04:05.1Z stdout F ${access('198.51.100.9', '/media/b.phtml')}`,
        '2024-05-05T03:04:05.2Z stderr F I0505 03:04:05.200000 7 controller.go:190] "Configuration changes detected"',
        JSON.stringify({ log: `${access('198.51.100.10', '/files/c.php')}\n`, stream: 'stdout', time: 't' }),
      ].join('\n'),
    });
    const syslog = await run([`${dir}/syslog`]);
    expect(syslog.findings.map((f) => [f.path, f.location?.line, f.client])).toEqual([
      ['/uploads/a.php', 2, '198.51.100.7'],
    ]);
    // sshd's lines, the first one before any access-log line too, are excluded, as is the GET of a photo.
    expect(syslog.notEvaluated).toEqual([]);
    expect(syslog.summary.excluded).toBe(3);
    const ingress = await run([`${dir}/ingress.log`]);
    expect(ingress.findings.map((f) => [f.path, f.location?.line])).toEqual([
      ['/media/b.phtml', 1],
      ['/files/c.php', 3],
    ]);
    expect(ingress.notEvaluated).toEqual([]);
  });

  it("take a container's start-up messages before its first access-log line as its preamble, and nothing else", async () => {
    const docker = (log: string, stream = 'stdout') => JSON.stringify({ log: `${log}\n`, stream, time: 't' });
    const startup = [
      docker('/docker-entrypoint.sh: Configuration complete; ready for start up'),
      docker('2024/05/05 03:04:00 [notice] 1#1: start worker processes', 'stderr'),
    ];
    const dir = tree({
      'with-access.log': [
        ...startup,
        docker(
          '198.51.100.7 - - [05/May/2024:03:04:05 +0000] "GET /uploads/a.php HTTP/1.1" 200 31 "-" "curl"',
        ),
        // after the first access line, a line of the same stream that is no access line is malformed
        docker('/docker-entrypoint.sh: reloading'),
      ].join('\n'),
      'no-access.log': startup.join('\n'),
    });
    const withAccess = await run([`${dir}/with-access.log`]);
    expect(withAccess.findings.map((f) => f.path)).toEqual(['/uploads/a.php']);
    expect(withAccess.notEvaluated).toMatchObject([{ reason: 'malformed-line', location: { line: 4 } }]);
    expect(withAccess.summary.excluded).toBe(2);
    // A log with no access-log line at all: nothing was read, so every line says so.
    const noAccess = await run([`${dir}/no-access.log`]);
    expect(noAccess.notEvaluated.map((n) => [n.reason, n.location?.line])).toEqual([
      ['malformed-line', 1],
      ['malformed-line', 2],
    ]);
  });

  it('checks each decoding trick on client names', async () => {
    const names = [
      '..%2f..%2fx',
      '..%252f..%252fx',
      '%c0%ae%c0%ae%c0%afx',
      '..\\..\\x',
      '/etc/passwd',
      'C:\\x.txt',
      'a%00.jpg',
      'x.php;.jpg',
    ];
    const dir = tree({ 'u.jsonl': names.map((filename) => JSON.stringify({ filename })).join('\n') });
    const found = await rules([`${dir}/u.jsonl`]);
    const byLine = (n: number) => found.filter((f) => f.startsWith(`${n} `)).map((f) => f.split(' ').at(-1));
    expect(byLine(1)).toContain('path-traversal/dot-dot');
    expect(byLine(2)).toContain('path-traversal/dot-dot');
    expect(byLine(3)).toContain('path-traversal/dot-dot');
    expect(byLine(4)).toContain('path-traversal/dot-dot');
    expect(byLine(5)).toContain('path-traversal/absolute-name');
    expect(byLine(6)).toContain('path-traversal/absolute-name');
    // A NUL the server decodes is a control character in the stored name; the .jpg after it is harmless.
    expect(byLine(7)).toEqual(['unsafe-filename/control']);
    expect(byLine(8)).toContain('dangerous-extension/name-trick');
  });

  it('with --root, checks name, declared type and stored content three ways, and finds rejected files that were stored', async () => {
    const root = tree({ 'ok.jpg': jpeg(), 'cat.png': elf(), 'pic.png': png(), 'kept.php': '<?php' });
    const log = tree({
      'u.jsonl': [
        { filename: 'ok.jpg', stored_path: 'ok.jpg', content_type: 'image/jpeg' },
        { filename: 'cat.png', stored_path: 'cat.png', content_type: 'image/png' },
        { filename: 'pic.jpg', stored_path: 'pic.png', content_type: 'image/jpeg' },
        { filename: 'kept.php', stored_path: 'kept.php', status: 'rejected' },
        { filename: 'gone.jpg', stored_path: 'gone.jpg', status: 'stored' },
        { filename: 'refused.jpg', stored_path: 'refused.jpg', status: 'rejected' },
        { filename: 'escape.jpg', stored_path: '../../etc/passwd' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    });
    const report = await run([`${log}/u.jsonl`], root);
    const found = report.findings.filter((f) =>
      ['mime-mismatch/three-way', 'dangerous-extension/rejected-but-stored'].includes(f.ruleId),
    );
    expect(found.map((f) => `${f.path} ${f.ruleId} ${f.evidence.disagreement ?? ''}`.trim())).toEqual([
      'cat.png mime-mismatch/three-way name vs content, declared vs content',
      'pic.jpg mime-mismatch/three-way name vs content',
      'kept.php dangerous-extension/rejected-but-stored',
    ]);
    expect(report.notEvaluated.map((n) => `${n.location?.line} ${n.reason} ${n.detail}`)).toEqual([
      '5 missing stored file gone.jpg is missing',
    ]);
    // A stored path outside the root is where the write happened: traversal, whatever the name.
    expect(
      report.findings
        .filter((f) => f.ruleId === 'path-traversal/stored-outside')
        .map((f) => `${f.location?.line} ${f.severity}`),
    ).toEqual(['7 critical']);
  });

  it('judge a stored path that climbs out, and markup declared for an image name, without --root', async () => {
    const log = tree({
      'u.jsonl': [
        { filename: 'avatar.jpg', stored_path: 'avatars/../../../var/www/html/avatar.jpg' },
        { filename: 'avatar.jpg', stored_path: 'avatars/2024/avatar.jpg', content_type: 'text/html' },
        { filename: 'logo.png', content_type: 'image/svg+xml' },
        { filename: 'page.html', content_type: 'text/html; charset=utf-8' },
        { filename: 'drawing.svg', content_type: 'image/svg+xml' },
        { filename: 'photo.jpg', stored_path: 'a/b/photo.jpg', content_type: 'image/jpeg' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    });
    const report = await run([`${log}/u.jsonl`]);
    const ids = (line: number) =>
      report.findings.filter((f) => f.location?.line === line).map((f) => f.ruleId);
    expect(ids(1)).toContain('path-traversal/stored-outside');
    expect(ids(2)).toContain('active-content/declared-markup');
    expect(ids(3)).toContain('active-content/declared-markup');
    // A page whose declared type fits its name is no declared-markup trick, but it is a page upload.
    expect(ids(4)).toEqual(['active-content/page-upload']);
    for (const line of [5, 6]) expect(ids(line)).toEqual([]);
  });

  it('take Content-Types and names that are Object.prototype keys as plain text', async () => {
    const root = tree({ 'a.png': png(), 'b.png': png() });
    const log = tree({
      'u.jsonl': [
        { filename: 'a.jpg', content_type: 'constructor' },
        { filename: 'b.jpg', content_type: '__proto__; charset=x' },
        { filename: 'a.png', stored_path: 'a.png', content_type: 'constructor' },
        { filename: 'b.png', stored_path: 'b.png', content_type: '__proto__' },
        { filename: 'big.constructor', size: 300 * 1024 * 1024 },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    });
    const report = await run([`${log}/u.jsonl`], root);
    expect(report.notEvaluated).toEqual([]);
    // As any unknown type: no verdict against the name, a disagreement with stored content; and the
    // size limit is the class limit, not a prototype member (this run used to crash on line 1).
    expect(report.findings.map((f) => `${f.path} ${f.ruleId} ${renderMessage(f)}`)).toEqual([
      'a.png mime-mismatch/three-way name .png, declared constructor, stored content image/png: declared vs content',
      'b.png mime-mismatch/three-way name .png, declared __proto__, stored content image/png: declared vs content',
      'big.constructor size/over-limit 300 MiB is over the 5 MiB limit for other files',
    ]);
  });

  it('reads stdin with -, and names a missing log in one line with exit 2', async () => {
    const stdin = cli(['log', '-', '--format', 'jsonl'], { input: '{"filename":"x.php"}\n' });
    expect(stdin.status).toBe(1);
    expect(stdin.stdout).toContain('dangerous-extension/server-script');
    const missing = await cliInProcess(['log', 'no-such.log']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe("upload-audit: cannot read log 'no-such.log': no such file\n");
    expect((await cliInProcess(['log', 'x', '--upload-path', '('])).stderr).toMatch(
      /^upload-audit: --upload-path '\(': not a regular expression/,
    );
  });

  it('lists the first 1,000 lines of each reason and counts the rest in one entry', async () => {
    const lines = Array.from({ length: 2600 }, (_, i) =>
      i % 26 === 0 ? JSON.stringify({ filename: `a${i}.jpg` }) : i % 26 === 1 ? 'x'.repeat(70_000) : '{oops',
    );
    const dir = tree({ 'u.jsonl': `${lines.join('\n')}\n` });
    const report = await run([`${dir}/u.jsonl`]);
    const malformed = report.notEvaluated.filter((n) => n.reason === 'malformed-line');
    const listed = malformed.filter((n) => n.count === undefined);
    expect(listed).toHaveLength(1000);
    expect(listed.every((n) => n.detail === 'not valid JSON')).toBe(true);
    // 2,400 malformed lines, 24 in every 26: the 1,000th is the 16th of the 42nd 26 (line 1,084).
    const counted = malformed.filter((n) => n.count !== undefined);
    expect(counted).toEqual([
      {
        path: `${dir}/u.jsonl:1085`,
        reason: 'malformed-line',
        detail: 'this and 1399 later lines with the same reason: counted, not listed one by one',
        location: { file: `${dir}/u.jsonl`, line: 1085 },
        count: 1400,
      },
    ]);
    // The 100 over-long lines are under the limit: all listed.
    expect(report.notEvaluated.filter((n) => n.reason === 'line-too-long')).toHaveLength(100);
    expect(report.summary).toMatchObject({
      entries: 2600,
      files: 100,
      notEvaluated: 2500,
      notEvaluatedByReason: { 'malformed-line': 2400, 'line-too-long': 100 },
      failed: true,
    });
  });

  it('counts malformed and over-long lines with their line numbers, and skips blank ones', async () => {
    const blank = ['', '   ', '\t\u00a0\u3000\ufeff\r'];
    const dir = tree({
      'u.jsonl': `${JSON.stringify({ filename: 'a.jpg' })}\n{oops\n${'x'.repeat(70_000)}\n\u0000\u00ff garbage\n${blank.join('\n')}\n x\n`,
    });
    const report = await run([`${dir}/u.jsonl`]);
    expect(report.notEvaluated.map((n) => `${n.location?.line} ${n.reason}`)).toEqual([
      '2 malformed-line',
      '3 line-too-long',
      '4 malformed-line',
      '8 malformed-line',
    ]);
    expect(report.summary).toMatchObject({ entries: 8, files: 1, notEvaluated: 4 });
  });
});
