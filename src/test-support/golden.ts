import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const GOLDEN_DIR = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url));

/** Compare with fixtures/golden/NAME; `UPDATE_GOLDEN=1 npm test` rewrites the files. */
export function expectGolden(name: string, actual: string): void {
  const path = GOLDEN_DIR + name;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`golden file ${name} is missing: run UPDATE_GOLDEN=1 npm test and review it`);
  }
  expect(actual).toBe(expected);
}
