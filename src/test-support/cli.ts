import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
