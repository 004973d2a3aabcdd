/**
 * Where a worker thread's module is. The CLI runs from dist/, where the worker is compiled beside
 * its scheduler; tests run from src/, where only its .ts exists, and use dist/'s build of it
 * (`npm test` builds first). Threads that cannot start are an error, never a quiet fall back to
 * one thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from './errors.js';

export function workerModule(name: string, moduleUrl: string): URL {
  const here = new URL(name, moduleUrl);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(here.href.replace('/src/', '/dist/'));
  if (here.href.includes('/src/') && existsSync(fileURLToPath(built))) return built;
  throw new InputError(
    `worker threads cannot start: ${fileURLToPath(here)} is missing (build with npm run build, or use -j 1)`,
  );
}
