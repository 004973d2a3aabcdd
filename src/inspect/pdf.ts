/**
 * PDF actions and attachments, found in the raw file and inside Flate-compressed streams
 * (object streams hide dictionaries there), within maxPdfBytes and an inflate budget.
 */
import { inflateSync } from 'node:zlib';
import type { ActiveHit, ActiveKind, LimitHit } from '../model/types.js';

/** `/J#61vaScript` is `/JavaScript`: PDF names may spell any byte as #xx. */
const unescapeNames = (text: string): string =>
  text.replace(/\/[^\s/<>[\]()]*#[0-9a-f]{2}[^\s/<>[\]()]*/gi, (name) =>
    name.replace(/#([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
  );

const KEYS: [ActiveKind, RegExp][] = [
  ['pdf-javascript', /\/(?:JavaScript|JS)\b/],
  ['pdf-launch', /\/Launch\b/],
  ['pdf-embedded-file', /\/EmbeddedFiles?\b/],
  // An OpenAction or additional action that runs something (not a plain page destination).
  [
    'pdf-open-action',
    /\/(?:OpenAction|AA)\s*<<[^>]*\/S\s*\/(?:JavaScript|Launch|SubmitForm|ImportData|GoToE|GoToR|Rendition)\b/,
  ],
];

function scanText(text: string, where: string, hits: Map<ActiveKind, ActiveHit>): void {
  const clean = unescapeNames(text);
  for (const [kind, pattern] of KEYS) {
    if (hits.has(kind)) continue;
    const match = pattern.exec(clean);
    if (match)
      hits.set(kind, {
        kind,
        where,
        sample: clean.slice(match.index, match.index + 60).replace(/[^\x20-\x7e]+/g, ' '),
      });
  }
}

export interface PdfScan {
  hits: ActiveHit[];
  incomplete: LimitHit[];
  /** Bytes inflated, to charge to the file's budget. */
  inflated: number;
}

const STREAM = /\/FlateDecode[\s\S]{0,400}?stream\r?\n/g;

/** Scan `bytes` (the first maxPdfBytes of a PDF; `truncated` when the file is longer). */
export function scanPdf(bytes: Uint8Array, truncated: boolean, inflateBudget: number): PdfScan {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const hits = new Map<ActiveKind, ActiveHit>();
  const incomplete: LimitHit[] = [];
  if (truncated)
    incomplete.push({ limit: 'maxPdfBytes', detail: `only the first ${bytes.length} bytes were scanned` });
  scanText(text, 'body', hits);
  let inflated = 0;
  for (const match of text.matchAll(STREAM)) {
    const start = match.index + match[0].length;
    const end = text.indexOf('endstream', start);
    if (end < 0) break;
    const budget = inflateBudget - inflated;
    if (budget <= 0) {
      incomplete.push({
        limit: 'maxInflateBytes',
        detail: 'compressed streams past the inflate budget were not scanned',
      });
      break;
    }
    let out: Buffer;
    try {
      out = inflateSync(bytes.subarray(start, end), {
        maxOutputLength: budget,
        finishFlush: 2 /* Z_SYNC_FLUSH */,
      });
    } catch (error) {
      if (error instanceof RangeError) {
        incomplete.push({ limit: 'maxInflateBytes', detail: 'a compressed stream inflates past the budget' });
        break;
      }
      continue; // a corrupt stream: nothing to read in it
    }
    inflated += out.length;
    scanText(out.toString('latin1'), 'stream', hits);
  }
  return { hits: [...hits.values()], incomplete, inflated };
}
