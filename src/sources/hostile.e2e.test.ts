/**
 * Hostile inputs: the auditor stays correct, bounded and read-only when the uploads attack it.
 * Each case has a bound; hitting it is reported on the entry, never swallowed.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  lstatSync,
  openSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentIdentity, inspectBytes } from '../inspect/inspect.js';
import { DEFAULT_LIMITS } from '../inspect/limits.js';
import { elf } from '../test-support/bytes.js';
import { cliInProcess } from '../test-support/cli.js';
import { fifo, inventory, tempTrees, writeRawName } from '../test-support/tree.js';
import { entryFacts } from './directory/entry.js';
import { entryAt, entryPathIn, openJobFolder } from './directory/listing.js';
import { runScan } from './directory/run.js';
import { DEFAULT_UPLOAD_PATH } from './log/combined.js';
import { runLog } from './log/run.js';

const tree = tempTrees();
const scan = (root: string) => runScan({ root, failOn: 'high', allowUnevaluated: false, concurrency: 1 });
const ctx = () => ({ rootReal: '/', limits: DEFAULT_LIMITS });

describe('hostile trees', () => {
  it('100,000 entries in one folder: every one counted, read-only', async () => {
    const root = tree({ wide: {} });
    const dir = join(root, 'wide');
    for (let i = 0; i < 100_000; i++) writeFileSync(join(dir, `f${i}.jpg`), i % 10_000 === 0 ? elf() : '');
    writeFileSync(join(dir, 'x.php'), '<?php');
    const before = inventory(root);
    const report = await scan(root);
    expect(report.summary.files).toBe(100_001);
    expect(report.findings.filter((f) => f.ruleId === 'mime-mismatch/executable')).toHaveLength(10);
    expect(report.findings.filter((f) => f.ruleId === 'dangerous-extension/server-script')).toHaveLength(1);
    expect(inventory(root)).toEqual(before);
  }, 120_000);

  it('nesting 500 levels deep, past PATH_MAX: no crash, and what cannot be reached is not evaluated', async () => {
    const root = tree({});
    // Built with relative paths: absolute ones this long cannot be created either.
    execFileSync('bash', [
      '-c',
      'cd "$1" && for i in $(seq 500); do mkdir d_________ && cd d_________; done && echo "<?php" > deep.php',
      'x',
      root,
    ]);
    const report = await scan(root);
    expect(report.summary.directories).toBeGreaterThan(300);
    expect(report.notEvaluated.length).toBeGreaterThan(0);
    expect(report.notEvaluated.every((n) => n.detail === 'ENAMETOOLONG')).toBe(true);
    expect(report.summary.failed).toBe(true);
  }, 120_000);

  it('sockets and device nodes are never opened and the scan does not block', async () => {
    const root = tree({ pipe: fifo() });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
    const isRoot = process.getuid?.() === 0;
    if (isRoot) execFileSync('mknod', [join(root, 'null-dev'), 'c', '1', '3']);
    try {
      const report = await scan(root);
      const special = report.findings
        .filter((f) => f.ruleId === 'permissions/special-file')
        .map((f) => f.path);
      expect(special.sort()).toEqual(isRoot ? ['null-dev', 'pipe', 'sock'] : ['pipe', 'sock']);
      expect(report.notEvaluated.map((n) => n.reason)).toEqual(special.map(() => 'special-file'));
    } finally {
      server.close();
    }
  });

  it('an entry swapped after listing (a symlink or FIFO where a file was), or gone, is not evaluated', async () => {
    const root = tree({ link: 'was a file', pipe: 'was a file', gone: 'was a file' });
    const entry = (name: string) => ({
      path: name,
      name,
      decodedName: name,
      kind: 'file' as const,
      fsPath: join(root, name),
    });
    rmSync(join(root, 'link'));
    symlinkSync('/etc/passwd', join(root, 'link'));
    rmSync(join(root, 'pipe'));
    execFileSync('mkfifo', [join(root, 'pipe')]);
    rmSync(join(root, 'gone'));
    expect(entryFacts(entry('link'), ctx())).toMatchObject({
      status: 'not-evaluated',
      reason: 'changed-type',
    });
    expect(entryFacts(entry('pipe'), ctx())).toMatchObject({
      status: 'not-evaluated',
      reason: 'changed-type',
      detail: 'became a fifo after listing',
    });
    expect(entryFacts(entry('gone'), ctx())).toMatchObject({
      status: 'not-evaluated',
      reason: 'vanished',
    });
  });

  it('a parent folder swapped for a symlink during the scan (RENAME_EXCHANGE in a loop) is never read or listed through', async () => {
    const dir = tree({ outside: {}, up: { sub: {} }, link: {} });
    for (let i = 0; i < 200; i++) {
      writeFileSync(join(dir, 'outside', `only-outside-${i}.php`), `<?php echo ${i};`);
      writeFileSync(join(dir, 'up/sub', `inside-${i}.jpg`), '');
    }
    rmSync(join(dir, 'link'), { recursive: true });
    symlinkSync(join(dir, 'outside'), join(dir, 'link'));
    // renameat2(RENAME_EXCHANGE) swaps the folder and the symlink atomically, as an attacker would.
    const swapper = spawn('python3', [
      '-c',
      `import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2])
end = time.time() + 90
while time.time() < end:
    libc.renameat2(-100, a, -100, b, 2)`,
      join(dir, 'up/sub'),
      join(dir, 'link'),
    ]);
    try {
      // Start scanning once the swapping has begun.
      while (!lstatSync(join(dir, 'up/sub'), { throwIfNoEntry: false })?.isSymbolicLink())
        await new Promise((r) => setTimeout(r, 5));
      let swappedSeen = 0;
      // At least 30 rounds; more, for up to 30 s, while no round has met the race: on a loaded
      // machine the swapping process runs less often between the scan's steps.
      const deadline = Date.now() + 30_000;
      for (let round = 0; round < 30 || (swappedSeen === 0 && Date.now() < deadline); round++) {
        const report = await runScan({
          root: join(dir, 'up'),
          failOn: 'none',
          allowUnevaluated: true,
          concurrency: 1,
        });
        const paths = [...report.findings.map((f) => f.path), ...report.notEvaluated.map((n) => n.path)];
        expect(paths.filter((p) => p.includes('only-outside'))).toEqual([]);
        swappedSeen += report.notEvaluated.filter((n) => n.detail?.includes('replaced by a symlink')).length;
      }
      // The loop did race: some folders or files were refused because a parent had been swapped.
      expect(swappedSeen).toBeGreaterThan(0);
    } finally {
      swapper.kill('SIGKILL');
    }
  }, 120_000);

  it("a file is opened through its folder's checked handle: a parent swapped after the listing leads nowhere", async () => {
    const dir = tree({
      outside: { 'same.php': '<?php system($_GET[1]);' },
      up: { sub: { 'same.php': 'inside' } },
    });
    const job = { path: 'sub', fsPath: join(dir, 'up/sub') };
    const folder = openJobFolder(job);
    try {
      // The listed folder moves away and a symlink to another folder, with the same names, takes its place.
      renameSync(join(dir, 'up/sub'), join(dir, 'up/moved'));
      symlinkSync(join(dir, 'outside'), join(dir, 'up/sub'));
      const entry = entryAt(job, { names: ['same.php'], kinds: ['file'] }, 0);
      const outcome = entryFacts(entry, ctx(), entryPathIn(folder, 'same.php'));
      if (outcome.status !== 'ok' || outcome.source === undefined) throw new Error('expected an open file');
      expect((await outcome.source.read(0, 100)).toString()).toBe('inside');
      outcome.source.close();
    } finally {
      closeSync(folder.fd);
    }
  });

  it('a file that shrinks after its stat is read as it is, and a huge sparse file is not hashed', async () => {
    const root = tree({ 'a.php': '<?php echo 1; ?>'.repeat(1000) });
    const entry = {
      path: 'a.php',
      name: 'a.php',
      decodedName: 'a.php',
      kind: 'file' as const,
      fsPath: join(root, 'a.php'),
    };
    const outcome = entryFacts(entry, ctx());
    if (outcome.status !== 'ok' || outcome.source === undefined) throw new Error('expected an open file');
    // Shrunk between the fstat and the reads: the bytes that are there are read, nothing throws.
    truncateSync(join(root, 'a.php'), 3);
    await inspectBytes(outcome.source, outcome.file, DEFAULT_LIMITS);
    expect(Buffer.from(outcome.file.head!).toString()).toBe('<?p');
    const fd = openSync(join(root, 'huge.php'), 'w');
    writeSync(fd, '<?php', 300 * 1024 * 1024);
    closeSync(fd);
    const report = await scan(root);
    const huge = report.findings.find(
      (f) => f.path === 'huge.php' && f.ruleId === 'dangerous-extension/server-script',
    )!;
    expect(huge.sha256).toBeUndefined();
    outcome.source.close();
  });

  it('a file that grows while it is hashed is read only up to maxHashBytes', async () => {
    const root = tree({ 'grow.php': '<?php' });
    const entry = {
      path: 'grow.php',
      name: 'grow.php',
      decodedName: 'grow.php',
      kind: 'file' as const,
      fsPath: join(root, 'grow.php'),
    };
    const context = {
      rootReal: '/',
      limits: { ...DEFAULT_LIMITS, maxHashBytes: 64 * 1024 },
    };
    const outcome = entryFacts(entry, context);
    if (outcome.status !== 'ok' || outcome.source === undefined) throw new Error('expected an open file');
    writeFileSync(join(root, 'grow.php'), Buffer.alloc(1024 * 1024, 0x41), { flag: 'a' });
    expect(await contentIdentity(outcome.source, context.limits)).toEqual({});
    outcome.source.close();
  });

  it('names with every control character, escapes, bidi, invalid UTF-8 and 255 bytes stay escaped in every format', async () => {
    const root = tree({});
    for (let c = 1; c < 32; c++)
      if (c !== 0x2f) writeRawName(root, Buffer.from([0x61, c, 0x2e, 0x70, 0x68, 0x70]), '<?php');
    writeRawName(root, Buffer.from('\x1b]0;pwned\x07\x1b[2J.php'), '<?php');
    writeRawName(root, Buffer.from('invoice_\u202efdp.exe'), 'MZ');
    writeRawName(root, Buffer.from([0xff, 0xfe, 0x2e, 0x6a, 0x73, 0x70]), '<%@ page %>');
    writeRawName(root, Buffer.from(`${'x'.repeat(251)}.php`), '<?php');
    const before = inventory(root);
    for (const format of ['table', 'json', 'jsonl', 'sarif', 'junit', 'markdown', 'html']) {
      const run = await cliInProcess(['scan', root, '--format', format]);
      expect(run.status).toBe(1);
      expect(run.stderr).toBe('');
      expect(run.stdout, format).not.toMatch(
        /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
      );
      if (format === 'json') expect(JSON.parse(run.stdout).summary.files).toBe(35);
    }
    const lines = (await cliInProcess(['scan', root, '--no-color', '--format', 'table'])).stdout.split('\n');
    const widths = new Set(lines.filter((l) => /^[│├┌└]/.test(l)).map((l) => [...l].length));
    expect(widths.size).toBe(1);
    expect(inventory(root)).toEqual(before);
  });
});

describe('hostile archives', () => {
  /** A zip of `count` empty stored entries, written in one go. */
  function manyEntries(count: number): Buffer {
    const central: Buffer[] = [];
    const local: Buffer[] = [];
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const name = Buffer.from(`f${i}`);
      const l = Buffer.alloc(30);
      l.writeUInt32LE(0x04034b50, 0);
      l.writeUInt16LE(name.length, 26);
      local.push(l, name);
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(name.length, 28);
      c.writeUInt32LE(offset, 42);
      central.push(c, name);
      offset += 30 + name.length;
    }
    const centralBytes = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, 0xffff), 8);
    end.writeUInt16LE(Math.min(count, 0xffff), 10);
    end.writeUInt32LE(centralBytes.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...local, centralBytes, end]);
  }

  it('a zip with a million entries is listed to maxArchiveEntries, and says so', async () => {
    const root = tree({ 'million.zip': manyEntries(1_000_000) });
    const report = await scan(root);
    const hit = report.findings.find((f) => f.ruleId === 'archive/unreadable');
    expect(hit?.evidence).toMatchObject({ limit: expect.stringMatching(/maxArchiveEntries|read-error/) });
  }, 120_000);
});

describe('hostile logs', () => {
  const uploadPath = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
  const log = (files: string[]) =>
    runLog({ files, fields: {}, uploadPath, failOn: 'high', allowUnevaluated: false });

  it('binary garbage and a single line of 100 MB: counted, bounded, no crash', async () => {
    const root = tree({});
    const garbage = join(root, 'garbage.log');
    writeFileSync(garbage, Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256)));
    const huge = join(root, 'huge.jsonl');
    const fd = openSync(huge, 'w');
    writeSync(fd, '{"filename":"');
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 100; i++) writeSync(fd, chunk);
    writeSync(fd, '.php"}\n{"filename":"after.php"}\n');
    closeSync(fd);
    const heapBefore = process.memoryUsage().heapUsed;
    const report = await log([garbage, huge]);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
    expect(
      report.notEvaluated.some(
        (n) => n.location?.file === huge && n.reason === 'line-too-long' && n.location.line === 1,
      ),
    ).toBe(true);
    expect(report.findings.some((f) => f.path === 'after.php')).toBe(true);
    expect(report.notEvaluated.filter((n) => n.location?.file === garbage).length).toBeGreaterThan(0);
  }, 120_000);

  it('a log that is not readable as a stream ends the run with one line and exit 2, no stack trace', async () => {
    const root = tree({ dir: {} });
    const run = spawnSync(process.execPath, ['bin/upload-audit.js', 'log', join(root, 'dir')], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`upload-audit: cannot read log '${join(root, 'dir')}': it is a directory\n`);
  });
});
