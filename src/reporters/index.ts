import { json, jsonl } from './json.js';
import { table } from './table.js';
import type { Reporter } from './types.js';

export const FORMATS = ['table', 'json', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

/** Every format has a reporter; the compiler checks the registry is complete. */
export const REPORTERS = { table, json, jsonl } satisfies Record<Format, Reporter>;

export function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}
