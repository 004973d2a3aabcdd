import type { Report } from '../model/types.js';
import { html } from './html.js';
import { json, jsonl, jsonlPieces, jsonPieces } from './json.js';
import { junit } from './junit.js';
import { markdown } from './markdown.js';
import { sarif } from './sarif.js';
import { table, tablePieces } from './table.js';
import { text } from './text.js';
import type { PieceReporter, RenderContext, Reporter } from './types.js';

export const FORMATS = ['text', 'table', 'json', 'jsonl', 'sarif', 'junit', 'markdown', 'html'] as const;
export type Format = (typeof FORMATS)[number];

/** Every format has a reporter; the compiler checks the registry is complete. */
export const REPORTERS = { text, table, json, jsonl, sarif, junit, markdown, html } satisfies Record<
  Format,
  Reporter
>;

/** The formats whose reports can run to tens of MB (one entry per finding) also come in pieces. */
const PIECES: Partial<Record<Format, PieceReporter>> = {
  json: jsonPieces,
  jsonl: jsonlPieces,
  table: tablePieces,
};

/** The report in `format` as pieces to write one after another (their concatenation is the reporter's text). */
export function renderPieces(format: Format, report: Report, context: RenderContext): Iterable<string> {
  return PIECES[format]?.(report, context) ?? [REPORTERS[format](report, context)];
}

export function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}
