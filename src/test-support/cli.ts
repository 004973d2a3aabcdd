import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { main } from '../cli/main.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${PROJECT_ROOT}bin/upload-audit.js`;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The newest modification time of the sources dist/ is built from. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let checkedBuild = false;

/** The CLI tests run dist/: refuse one that is missing or older than src/ (they would test old code). */
function checkBuild(): void {
  if (checkedBuild) return;
  const main = `${PROJECT_ROOT}dist/cli/main.js`;
  if (!existsSync(main)) throw new Error('dist/ is missing: run `npm test` (it builds first)');
  if (statSync(main).mtimeMs < newestSource(`${PROJECT_ROOT}src`))
    throw new Error('dist/ is older than src/: run `npm test` or `npm run build` first');
  checkedBuild = true;
}

/**
 * Run the built CLI in a child process, as a user would; `npm test` builds dist/ first. For runs
 * that need their own working folder, stdin, user, signal or stdio; `cliInProcess` otherwise.
 */
export function cli(args: string[], options: SpawnSyncOptions = {}): CliResult {
  checkBuild();
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

type Write = typeof process.stdout.write;

/** Collect what is written to `stream` instead of writing it; returns the undo. */
function capture(stream: NodeJS.WriteStream, into: string[]): () => void {
  const original = stream.write;
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  }) as Write;
  return () => {
    stream.write = original;
  };
}

/**
 * Run the CLI in this process through `main(argv)`, as `cli` runs it in a child, without the
 * cost of starting Node: what it writes is captured and its exit status read from
 * process.exitCode. For runs that need no other working folder, stdin, umask or signal (those use
 * `cli`). `env` is set for the run and restored after it.
 */
export async function cliInProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  checkBuild(); // workers still run dist/'s build
  const stdout: string[] = [];
  const stderr: string[] = [];
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries({ NO_COLOR: undefined, FORCE_COLOR: undefined, ...env })) {
    saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const before = process.exitCode;
  process.exitCode = undefined;
  const restoreOut = capture(process.stdout, stdout);
  const restoreErr = capture(process.stderr, stderr);
  try {
    await main(['node', BIN, ...args]);
    return { status: Number(process.exitCode ?? 0), stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    restoreOut();
    restoreErr();
    process.exitCode = before;
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
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
