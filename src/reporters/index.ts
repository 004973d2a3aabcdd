import { html } from './html.js';
import { json, jsonl } from './json.js';
import { junit } from './junit.js';
import { markdown } from './markdown.js';
import { sarif } from './sarif.js';
import { table } from './table.js';
import type { Reporter } from './types.js';

export const FORMATS = ['table', 'json', 'jsonl', 'sarif', 'junit', 'markdown', 'html'] as const;
export type Format = (typeof FORMATS)[number];

/** Every format has a reporter; the compiler checks the registry is complete. */
export const REPORTERS = { table, json, jsonl, sarif, junit, markdown, html } satisfies Record<
  Format,
  Reporter
>;

export function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}
