import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${PROJECT_ROOT}bin/upload-audit.js`;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would; `npm test` builds dist/ first. */
export function cli(args: string[], options: SpawnSyncOptions = {}): CliResult {
  if (!existsSync(`${PROJECT_ROOT}dist/cli.js`))
    throw new Error('dist/ is missing: run `npm test` (it builds first)');
  const env = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env };
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    ...options,
    env,
  });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Replace what changes from run to run (timing) so output can be compared with a golden file. */
export function normalizeTiming(text: string): string {
  return text
    .replace(/"startedAt": ?"[^"]+"/g, '"startedAt":"<time>"')
    .replace(/"rootAbsolute": ?"[^"]+"/g, '"rootAbsolute":"<absolute root>"')
    .replace(/"durationMs": ?\d+/g, '"durationMs":0')
    .replace(/ in \d+\.\d\d s$/m, ' in <t> s');
}

/**
 * The JSON report of `args` run with 1, 2 and 3 threads (`-j`), written into `outDir`, timing
 * normalized; each run must exit 1 (it finds something) with nothing on stderr.
 */
export function reportsByThreads(args: string[], outDir: string): string[] {
  return [1, 2, 3].map((threads) => {
    const out = join(outDir, `threads-${threads}.json`);
    const run = cli([...args, '-j', String(threads), '--format', 'json', '-o', out, '-q']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    return normalizeTiming(readFileSync(out, 'utf8'));
  });
}
