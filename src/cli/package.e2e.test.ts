import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../test-support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ua-pack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the npm package', () => {
  it('packs, installs into an empty prefix, runs as a CLI and imports as a typed library', () => {
    const npm = (args: string[], cwd: string) =>
      execFileSync('npm', args, {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 240_000,
      });
    // dist/ is built by npm test; prepack would rebuild it under the other tests' feet.
    const packed = JSON.parse(
      npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], PROJECT_ROOT),
    ) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const paths = packed[0]!.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'bin/upload-audit.js',
        'dist/index.js',
        'dist/index.d.ts',
        'docs/schemas/report.schema.json',
        'docs/schemas/policy.schema.json',
      ]),
    );
    // No maps to sources that are not shipped, no tests, no bench, no test support, and neither
    // the single-file executable (100 MB) nor its build.
    expect(
      paths.filter((p) =>
        /\.map$|\.test\.|dist\/test-support\/|dist\/bench\/|dist\/sea\/|dist\/serve\/sea-/.test(p),
      ),
    ).toEqual([]);

    const prefix = join(dir, 'prefix');
    npm(
      [
        'install',
        '--prefix',
        prefix,
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        join(dir, packed[0]!.filename),
      ],
      dir,
    );
    const bin = join(prefix, 'node_modules/.bin/upload-audit');
    expect(existsSync(bin)).toBe(true);
    const run = spawnSync(bin, ['scan', join(PROJECT_ROOT, 'fixtures/demo-uploads'), '-f', 'json', '-q'], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout).summary.findings).toBeGreaterThan(0);

    // The library: runScan and the report types, from the package name.
    const script = join(prefix, 'use.mjs');
    writeFileSync(
      script,
      `import { runScan, defaultPolicySet } from 'upload-audit';
const report = await runScan({ root: process.argv[2], failOn: 'high', allowUnevaluated: false, concurrency: 1, policy: defaultPolicySet() });
console.log(report.summary.findings);`,
    );
    const used = spawnSync(process.execPath, [script, join(PROJECT_ROOT, 'fixtures/demo-uploads')], {
      cwd: prefix,
      encoding: 'utf8',
    });
    expect(used.stderr).toBe('');
    expect(Number(used.stdout.trim())).toBeGreaterThan(0);
    const types = readdirSync(join(prefix, 'node_modules/upload-audit/dist')).filter((n) =>
      n.endsWith('.d.ts'),
    );
    expect(types).toContain('index.d.ts');
  });
});
