import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { errnoCode, InputError } from './errors.js';

export interface ColorInputs {
  /** --color (true), --no-color (false), or neither (undefined). */
  flag: boolean | undefined;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** The report goes to a file: no color unless forced. */
  toFile: boolean;
}

/** --no-color/--color win; then FORCE_COLOR; then NO_COLOR; then whether we write to a terminal. */
export function colorLevel({ flag, env, isTTY, toFile }: ColorInputs): 0 | 1 | 2 | 3 {
  if (flag === false) return 0;
  if (flag === true) return 1;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    return force === '2' ? 2 : force === '3' ? 3 : 1;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (toFile || !isTTY || env.TERM === 'dumb') return 0;
  return env.COLORTERM === 'truecolor' ? 3 : 1;
}

export function chalkFor(level: 0 | 1 | 2 | 3): ChalkInstance {
  return new Chalk({ level });
}

/** Write a whole file through a temporary name and a rename, so readers never see half a report. */
export function writeFileAtomic(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, text, { mode: 0o644 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new InputError(`cannot write '${path}': ${errnoCode(error) ?? String(error)}`);
  }
}

/** Write to stdout and wait until it is flushed (large reports to a pipe must be awaited). */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) =>
      error && errnoCode(error) !== 'EPIPE' ? reject(error) : resolve(),
    );
  });
}
