import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../model/types.js';
import { jpeg, png } from '../test-support/bytes.js';
import { cli, cliInProcess, normalizeTiming } from '../test-support/cli.js';
import { expectGolden } from '../test-support/golden.js';
import { fifo, file, tempTrees } from '../test-support/tree.js';

const DEMO = 'fixtures/demo-uploads';
const tree = tempTrees();

/** One line on stderr, naming the problem, and no stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^upload-audit: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('scan the bundled demo folder', () => {
  it('prints the findings grouped by file and a summary, and exits 1', async () => {
    const { status, stdout, stderr } = await cliInProcess(['scan', DEMO]);
    expect(status).toBe(1);
    expect(stderr).toBe('');
    expectGolden('cli/demo.text', normalizeTiming(stdout));
    // The boxed table stays one option away.
    const boxed = await cliInProcess(['scan', DEMO, '--format', 'table']);
    expectGolden('cli/demo.table', normalizeTiming(boxed.stdout));
  });

  it('writes the documented JSON report', async () => {
    const { status, stdout } = await cliInProcess(['scan', DEMO, '--format', 'json']);
    expect(status).toBe(1);
    expectGolden('cli/demo.json', normalizeTiming(stdout));
  });

  it.each(['sarif', 'junit', 'markdown', 'html'])(
    'renders the demo as %s, matching its golden file',
    async (format) => {
      const { status, stdout } = await cliInProcess(['scan', DEMO, '--format', format]);
      expect(status).toBe(1);
      const stable = normalizeTiming(stdout)
        .replace(/"(start|end)TimeUtc":"[^"]+"/g, '"$1TimeUtc":"<time>"')
        .replace(/file:\/\/[^"]*?\/fixtures\/demo-uploads\//g, 'file:///<project>/fixtures/demo-uploads/')
        .replace(/"durationMs":\d+/g, '"durationMs":0')
        .replace(/ time="[\d.]+"/g, ' time="<t>"')
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>');
      expectGolden(`cli/demo.${format}`, stable);
    },
  );

  it('streams JSON Lines: a finding per line, then one summary', async () => {
    const { stdout } = await cliInProcess(['scan', DEMO, '--format', 'jsonl']);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-1).type).toBe('summary');
    expect(lines.slice(0, -1).every((l) => l.type === 'finding')).toBe(true);
  });

  it('gives the same report with worker threads as in-process', async () => {
    const one = await cliInProcess(['scan', DEMO, '--format', 'json', '-j', '1']);
    const two = await cliInProcess(['scan', DEMO, '--format', 'json', '-j', '2']);
    expect(normalizeTiming(two.stdout)).toBe(normalizeTiming(one.stdout));
  });
});

describe('exit codes', () => {
  it('0 when no finding reaches --fail-on', async () => {
    const root = tree({ 'a.jpg': jpeg(), 'b.png': png() });
    expect((await cliInProcess(['scan', root])).status).toBe(0);
    expect((await cliInProcess(['scan', DEMO, '--fail-on', 'none'])).status).toBe(0);
  });

  it('1 when one does, at the chosen threshold', async () => {
    const root = tree({ 'thumb.png': jpeg() });
    expect((await cliInProcess(['scan', root])).status).toBe(0);
    expect((await cliInProcess(['scan', root, '--fail-on', 'low'])).status).toBe(1);
  });

  it('1 when an entry could not be evaluated, unless --allow-unevaluated', async () => {
    const root = tree({ 'a.jpg': jpeg(), pipe: fifo() });
    const run = await cliInProcess(['scan', root, '--format', 'json']);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout).notEvaluated).toEqual([
      { path: 'pipe', reason: 'special-file', detail: 'fifo: never opened' },
    ]);
    // The FIFO is also a permissions/special-file finding (high); isolate the not-evaluated cause.
    expect((await cliInProcess(['scan', root, '--fail-on', 'critical'])).status).toBe(1);
    expect((await cliInProcess(['scan', root, '--fail-on', 'critical', '--allow-unevaluated'])).status).toBe(
      0,
    );
  });

  it.each([
    [
      ['scan', '/nonexistent/uploads'],
      /^upload-audit: cannot scan '\/nonexistent\/uploads': no such directory$/,
    ],
    [['scan', 'package.json'], /^upload-audit: cannot scan 'package.json': not a directory$/],
    [['scan', DEMO, '--fail-on', 'severe'], /--fail-on.*'severe' is invalid/],
    [['scan', DEMO, '--format', 'xml'], /--format.*'xml' is invalid/],
    [['scan', DEMO, '--concurrency', '0'], /--concurrency.*whole number/],
    [['scan', DEMO, '--bogus'], /unknown option '--bogus'/],
    [['scan'], /missing required argument 'dir'/],
    [
      ['scan', DEMO, '--output', '/nonexistent/dir/report.json'],
      /^upload-audit: cannot write '\/nonexistent\/dir\/report.json': its folder does not exist$/,
    ],
  ])('2 with one clear line for %j', async (args, message) => {
    const { status, stderr, stdout } = await cliInProcess(args);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expectOneLineError(stderr, message);
  });

  it('-o writes to a device or FIFO as it is, and through a symlink without replacing it', async () => {
    const dir = tree({ 'real.json': 'old' });
    symlinkSync(join(dir, 'real.json'), join(dir, 'link.json'));
    expect(
      (await cliInProcess(['scan', DEMO, '-f', 'json', '-o', join(dir, 'link.json'), '-q'])).status,
    ).toBe(1);
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'real.json'), 'utf8')).summary.failed).toBe(true);
    expect((await cliInProcess(['scan', DEMO, '-o', '/dev/null', '-q'])).status).toBe(1);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
    const pipe = join(dir, 'pipe');
    execFileSync('mkfifo', [pipe]);
    const reader = spawn('cat', [pipe]);
    let got = '';
    reader.stdout.on('data', (chunk) => {
      got += chunk;
    });
    const done = new Promise((r) => reader.on('exit', r));
    expect((await cliInProcess(['scan', DEMO, '-f', 'json', '-o', pipe, '-q'])).status).toBe(1);
    await done;
    expect(JSON.parse(got).summary.failed).toBe(true);
    expect(lstatSync(pipe).isFIFO()).toBe(true);
  });

  it.skipIf(!existsSync('/dev/full'))('2 with one line when stdout cannot be written (a full disk)', () => {
    for (const args of [['scan', DEMO, '--format', 'json'], ['scan', DEMO], ['--help']]) {
      const full = openSync('/dev/full', 'w');
      try {
        const { status, stderr } = cli(args, { stdio: ['ignore', full, 'pipe'] });
        expect(status).toBe(2);
        expectOneLineError(stderr, /^upload-audit: cannot write output: ENOSPC: no space left on device/);
      } finally {
        closeSync(full);
      }
    }
  });

  it('0 for --help and --version', async () => {
    expect((await cliInProcess(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await cliInProcess(['scan', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });
});

describe('output', () => {
  it('--output writes the report to a file and nothing to stdout', async () => {
    const dir = tree({});
    const out = join(dir, 'report.json');
    const { status, stdout, stderr } = await cliInProcess([
      'scan',
      DEMO,
      '--format',
      'json',
      '--output',
      out,
    ]);
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^upload-audit: FAIL: \d+ findings, 0 not evaluated; json report written to /);
    expect(JSON.parse(readFileSync(out, 'utf8')).summary.failed).toBe(true);
    expect((await cliInProcess(['scan', DEMO, '--output', out, '--quiet'])).stderr).toBe('');
  });

  it('colors only on request or on a terminal, honoring NO_COLOR and FORCE_COLOR', async () => {
    const esc = '\x1b[';
    expect((await cliInProcess(['scan', DEMO])).stdout).not.toContain(esc);
    expect((await cliInProcess(['scan', DEMO], { FORCE_COLOR: '1' })).stdout).toContain(esc);
    expect((await cliInProcess(['scan', DEMO, '--color'])).stdout).toContain(esc);
    expect((await cliInProcess(['scan', DEMO, '--no-color'], { FORCE_COLOR: '1' })).stdout).not.toContain(
      esc,
    );
    expect((await cliInProcess(['scan', DEMO], { FORCE_COLOR: '0' })).stdout).not.toContain(esc);
  });
});

describe('--severity', () => {
  it('shows findings at or above the level in every format; the summary and the exit status stay whole', async () => {
    const whole = JSON.parse((await cliInProcess(['scan', DEMO, '-f', 'json'])).stdout) as Report;
    const run = await cliInProcess(['scan', DEMO, '-f', 'json', '--severity', 'critical']);
    expect(run.status).toBe(1);
    const shown = JSON.parse(run.stdout) as Report;
    const critical = whole.findings.filter((f) => f.severity === 'critical');
    expect(critical.length).toBeGreaterThan(0);
    expect(shown.findings).toEqual(critical);
    expect(shown.summary).toEqual(whole.summary);
    expect(shown.view).toEqual({ severity: 'critical', hidden: whole.findings.length - critical.length });
    const sarif = JSON.parse(
      (await cliInProcess(['scan', DEMO, '-f', 'sarif', '--severity', 'critical'])).stdout,
    );
    expect(sarif.runs[0].results).toHaveLength(critical.length);
    const table = await cliInProcess(['scan', DEMO, '--severity', 'high', '--no-color']);
    expect(table.stdout).toMatch(/\(\d+ findings below high not shown: --severity high\)/);
    expect(table.stdout).not.toMatch(/^\s*(low|medium|info)\b/m);
    // The exit status follows --fail-on, not what is shown.
    expect(
      (await cliInProcess(['scan', DEMO, '--severity', 'critical', '--fail-on', 'low', '-q'])).status,
    ).toBe(1);
  });
});

describe('unreadable entries', () => {
  const root = process.getuid?.() === 0;

  it.runIf(root)('are counted as not evaluated when the scan runs without the rights to read them', () => {
    const dir = tree({ 'ok.jpg': jpeg(), 'locked.jpg': file(jpeg(), 0o000), locked: { 'x.php': '<?php' } });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'locked'), 0o000);
    const run = cli(['scan', dir, '--format', 'json'], { uid: 65534, gid: 65534 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout).notEvaluated).toEqual([
      { path: 'locked', reason: 'unreadable-directory', detail: 'EACCES' },
      { path: 'locked.jpg', reason: 'unreadable', detail: 'EACCES' },
    ]);
  });
});

describe('policy commands', () => {
  it('policy show prints the commented default; policy init writes it and refuses to overwrite', async () => {
    const show = await cliInProcess(['policy', 'show']);
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/^# upload-audit policy/);
    const dir = tree({});
    const file = join(dir, 'upload-audit.yaml');
    expect((await cliInProcess(['policy', 'init', file])).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(show.stdout);
    const again = await cliInProcess(['policy', 'init', file]);
    expect(again.status).toBe(2);
    expectOneLineError(again.stderr, /exists; use --force to overwrite it/);
    expect((await cliInProcess(['policy', 'init', file, '--force'])).status).toBe(0);
    expect((await cliInProcess(['policy', 'check', file])).status).toBe(0);
  });

  it('policy check and scan --policy exit 2 with every problem on its own line', async () => {
    const dir = tree({ 'p.yaml': 'version: 1\nmode: whitelist\nrules: { size/emptyy: off }\n' });
    for (const args of [
      ['policy', 'check', join(dir, 'p.yaml')],
      ['scan', DEMO, '--policy', join(dir, 'p.yaml')],
    ]) {
      const run = await cliInProcess(args);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toEqual([
        `upload-audit: ${dir}/p.yaml:2:7: mode: found "whitelist", allowed: denylist, allowlist`,
        expect.stringMatching(
          /^upload-audit: .*p\.yaml:3:10: rules\.size\/emptyy: unknown key .*did you mean "size\/empty"\?$/,
        ),
      ]);
    }
  });

  it('scan uses a discovered policy unless --no-policy-discovery', async () => {
    const dir = tree({
      uploads: { 'thumb.png': jpeg() },
      'upload-audit.yaml': 'version: 1\nrules: { mime-mismatch/image-type: critical }\n',
    });
    const uploads = join(dir, 'uploads');
    const found = JSON.parse((await cliInProcess(['scan', uploads, '--format', 'json'])).stdout);
    expect(found.policy.source).toBe(join(dir, 'upload-audit.yaml'));
    expect(found.findings[0].severity).toBe('critical');
    const off = JSON.parse(
      (await cliInProcess(['scan', uploads, '--format', 'json', '--no-policy-discovery'])).stdout,
    );
    expect(off.policy.source).toBe('built-in');
    expect(off.findings[0].severity).toBe('low');
  });

  it('rules lists every rule; explain knows rules and categories and rejects the rest', async () => {
    expect((await cliInProcess(['rules'])).stdout).toContain('dangerous-extension/double-extension');
    expect((await cliInProcess(['explain', 'path-traversal'])).stdout).toContain(
      'path-traversal/symlink-escape',
    );
    const bad = await cliInProcess(['explain', 'nope']);
    expect(bad.status).toBe(2);
    expectOneLineError(bad.stderr, /unknown rule or category 'nope' \(run/);
    const typo = await cliInProcess(['explain', 'double-extention']);
    expectOneLineError(typo.stderr, /did you mean 'dangerous-extension\/double-extension'\?/);
    expect((await cliInProcess(['explain', 'path-travesal'])).stderr).toContain(
      "did you mean 'path-traversal'?",
    );
  });

  it('completes commands, options and choices in bash; says how a run went with -v', async () => {
    const script = (await cliInProcess(['completion', 'bash'])).stdout;
    const complete = (...words: string[]) =>
      spawnSync(
        'bash',
        [
          '-c',
          `eval "$SCRIPT"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _upload_audit; echo "\${COMPREPLY[*]}"`,
        ],
        { env: { ...process.env, SCRIPT: script }, encoding: 'utf8' },
      ).stdout.trim();
    expect(complete('upload-audit', 'wa')).toBe('watch');
    expect(complete('upload-audit', 'scan', '--sev')).toBe('--severity');
    expect(complete('upload-audit', 'scan', '--fail-on', 'cr')).toBe('critical');
    expect(complete('upload-audit', 'policy', 'ch')).toBe('check');
    expect((await cliInProcess(['completion', 'fish'])).stdout).toContain(
      "__fish_seen_subcommand_from scan' -l severity -x",
    );
    expect((await cliInProcess(['completion', 'zsh'])).stdout).toMatch(/^#compdef upload-audit\n/);
    expect((await cliInProcess(['completion', 'tcsh'])).status).toBe(2);
    const verbose = await cliInProcess(['scan', DEMO, '-v', '-o', '/dev/null']);
    expect(verbose.stderr).toMatch(
      /^upload-audit: policy built-in \(sha256:\w+\); \d+ thread\(s\); 53 of 53 entries evaluated/m,
    );
  });

  it('shows help without doubled or empty defaults, and policy options only where a policy applies', async () => {
    const scan = (await cliInProcess(['scan', '--help'])).stdout;
    expect(scan).not.toMatch(/\(default: \[\]\)|\(default: false\)|\(default: \d+\)\s*\(default/);
    expect(scan.replace(/\s+/g, ' ')).toContain(
      '-j, --concurrency <n> worker threads that read files (default: the number of cores)',
    );
    expect(scan).toContain('--policy');
    for (const command of ['merge', 'convert', 'compare'])
      expect((await cliInProcess([command, '--help'])).stdout).not.toContain('--policy');
  });
});

describe('suppressed findings on the command line', () => {
  it('are hidden in the table unless --show-suppressed, and never fail the run', async () => {
    const dir = tree({
      uploads: { 'thumb.png': jpeg() },
      'p.yaml':
        "version: 1\nrules: { mime-mismatch/image-type: critical }\nsuppressions:\n  - { rule: mime-mismatch/image-type, paths: ['*.png'], reason: 'legacy thumbs' }\n",
    });
    const args = ['scan', join(dir, 'uploads'), '--policy', join(dir, 'p.yaml')];
    const hidden = await cliInProcess(args);
    expect(hidden.status).toBe(0);
    expect(hidden.stdout).not.toContain('thumb.png');
    expect(hidden.stdout).toContain('1 suppressed (--show-suppressed to list them)');
    const shown = await cliInProcess([...args, '--show-suppressed']);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('thumb.png');
    expect(shown.stdout).toContain('legacy thumbs');
  });
});

describe('hostile inputs: reports and policies', () => {
  // biome-ignore lint/suspicious/noExplicitAny: each case rewrites a parsed report freely
  const mutations: [string, (r: Record<string, any>) => void, RegExp][] = [
    ['a billion shards', (r) => (r.shard = { index: 1, count: 1e9 }), /\/shard\/count must be <= 100000/],
    [
      'a severity nobody knows',
      (r) => (r.findings[0].severity = 'severe'),
      /\/findings\/0\/severity must be equal/,
    ],
    ['a summary that is text', (r) => (r.summary = 'x'), /\/summary must be object/],
    ['findings that are not a list', (r) => (r.findings = { 0: 1 }), /\/findings must be array/],
    [
      'a finding without a fingerprint',
      (r) => delete r.findings[1].fingerprint,
      /must have required property 'fingerprint'/,
    ],
    [
      'evidence that is an object',
      (r) => (r.findings[0].evidence = { a: { b: 1 } }),
      /\/evidence\/a must be string,number,boolean/,
    ],
    ['a negative count', (r) => (r.summary.files = -1), /\/summary\/files must be >= 0/],
    ['schema version 2', (r) => (r.schemaVersion = 2), /an upload-audit JSON report \(schemaVersion 1\)/],
  ];
  it.each(mutations)(
    'a report with %s: convert, compare and merge exit 2 naming the file, writing nothing',
    async (_, mutate, message) => {
      const dir = tree({});
      const good = join(dir, 'good.json');
      await cliInProcess(['scan', DEMO, '-f', 'json', '-o', good, '-q']);
      const report = JSON.parse(readFileSync(good, 'utf8'));
      mutate(report);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify(report));
      for (const args of [
        ['convert', bad, '-f', 'sarif'],
        ['compare', good, bad],
        ['merge', bad],
        ['scan', DEMO, '--baseline', bad],
      ]) {
        const run = await cliInProcess(args);
        expect(run.status).toBe(2);
        expect(run.stdout).toBe('');
        expectOneLineError(run.stderr, new RegExp(`^upload-audit: '${bad}' is not .*${message.source}`));
      }
    },
  );

  it.each([
    ['--policy', '/dev/zero', /cannot read policy file: a device, not a file/],
    ['--policy', 'FIFO', /cannot read policy file: a FIFO, not a file/],
    ['--baseline', '/dev/zero', /cannot read report '\/dev\/zero': a device, not a file/],
    ['--baseline', 'FIFO', /cannot read report '.*': a FIFO, not a file/],
    ['--baseline', '/', /cannot read report '\/': a folder, not a file/],
  ])('%s %s is refused at once, never read', async (option, given, message) => {
    const dir = tree({});
    const path = given === 'FIFO' ? join(dir, 'fifo') : given;
    if (given === 'FIFO') execFileSync('mkfifo', [path]);
    const run = cli(['scan', DEMO, option, path], { timeout: 10_000 });
    expect(run.status).toBe(2);
    expectOneLineError(run.stderr, message);
  });
});

describe('hostile text in errors', () => {
  it('a policy error quoting bidi and zero-width characters prints them escaped', async () => {
    const dir = tree({ 'p.yaml': 'version: 1\nrules:\n  "bad\u202eevil\u200b": off\n' });
    const run = await cliInProcess(['policy', 'check', join(dir, 'p.yaml')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('rules.bad\\u{202e}evil\\u{200b}: unknown key');
    expect(run.stderr).not.toMatch(/[\u202e\u200b\x1b]/);
  });

  it('a restore failure quoting a hostile folder name prints it escaped', async () => {
    const dir = tree({ up: { 'd\x1b[31m': { 'shell.php': '<?php' } }, elsewhere: {} });
    const root = join(dir, 'up');
    const quarantine = join(dir, 'q');
    expect((await cliInProcess(['fix', root, '--quarantine', quarantine, '--apply'])).status).toBe(0);
    rmSync(join(root, 'd\x1b[31m'), { recursive: true });
    symlinkSync(join(dir, 'elsewhere'), join(root, 'd\x1b[31m'));
    const run = readdirSync(quarantine).find((n) => n.startsWith('run-'))!;
    const restore = await cliInProcess(['restore', join(quarantine, run)]);
    expect(restore.status).toBe(1);
    expect(restore.stdout).toContain('d\\x1b[31m');
    expect(restore.stdout).not.toContain('\x1b');
  });

  it('fix refuses a quarantine on /proc at once, even in a dry run', async () => {
    const root = tree({ 'a.php': '<?php' });
    const run = cli(['fix', root, '--quarantine', '/proc/x'], { timeout: 10_000 });
    expect(run.status).toBe(2);
    expectOneLineError(run.stderr, /^upload-audit: quarantine '\/proc\/x' is on a kernel filesystem/);
  });
});

describe('command modules', () => {
  it('loads the modules of other commands only for help, a mistyped command or completion', async () => {
    const { buildProgram } = await import('./main.js');
    const names = async (...args: string[]) =>
      (await buildProgram(['node', 'upload-audit', ...args])).commands.map((c) => c.name());
    const every = await names();
    expect(every).toEqual(
      expect.arrayContaining(['scan', 'log', 'fix', 'restore', 'serve', 'watch', 'completion']),
    );
    expect(await names('scan', 'uploads')).toEqual(['scan', 'log', 'compare', 'merge', 'convert']);
    expect(await names('restore', 'q/run-1')).toEqual([
      'scan',
      'log',
      'compare',
      'merge',
      'convert',
      'fix',
      'restore',
    ]);
    expect(await names('scna')).toEqual(every);
    expect(await names('completion', 'bash')).toEqual(every);
  });
});
