/**
 * PDF actions and attachments, found in a PDF's bytes and inside its object streams (compressed
 * dictionaries hide there), read a piece at a time through the ByteSource within maxPdfBytes.
 *
 * The bytes are searched for the few tokens an action needs (a native search, no decoding of
 * the file); only the text around a hit is decoded and matched. Only object streams are
 * inflated, within maxInflateBytes: page content, images and fonts hold drawing data, not the
 * dictionaries that run actions, and inflating them was most of the time spent on a PDF.
 */
import { inflateSync } from 'node:zlib';
import type { ActiveHit, ActiveKind, ByteSource, LimitHit } from '../model/types.js';
import { readPiece } from './read.js';

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

/**
 * Byte strings at least one of the patterns above needs, and how much text around a hit is
 * matched: an action dictionary can run long between its key and its `/S`.
 */
const TOKENS: { token: Buffer; before: number; after: number }[] = [
  ...['JavaScript', '/JS', 'Launch', 'Embedded'].map((t) => ({
    token: Buffer.from(t),
    before: 8,
    after: 80,
  })),
  ...['OpenAction', '/AA'].map((t) => ({ token: Buffer.from(t), before: 8, after: 4096 })),
];
/** A name spelled with #xx escapes starts at most this many bytes before its first `#`. */
const ESCAPED_NAME_BYTES = 48;
const HASH = 0x23;

const isHex = (b: number | undefined): boolean =>
  b !== undefined && ((b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66));
/** A byte a PDF name may hold unescaped: printable, not white space, not a delimiter. */
const isNameByte = (b: number): boolean =>
  b > 0x20 && b < 0x7f && !'()<>[]{}/%'.includes(String.fromCharCode(b));

class PdfHits {
  readonly hits = new Map<ActiveKind, ActiveHit>();

  /** Match the patterns in decoded text; the first hit of each kind, in file order, is kept. */
  matchText(text: string, where: string): void {
    const clean = unescapeNames(text);
    for (const [kind, pattern] of KEYS) {
      if (this.hits.has(kind)) continue;
      const match = pattern.exec(clean);
      if (match)
        this.hits.set(kind, {
          kind,
          where,
          sample: clean.slice(match.index, match.index + 60).replace(/[^\x20-\x7e]+/g, ' '),
        });
    }
  }

  get complete(): boolean {
    return this.hits.size === KEYS.length;
  }

  /** Search `bytes` for the tokens and escaped names, and match the text around each, in order. */
  scanBytes(bytes: Buffer, where: string): void {
    const windows: [number, number][] = [];
    for (const { token, before, after } of TOKENS)
      for (let at = bytes.indexOf(token); at >= 0; at = bytes.indexOf(token, at + 1))
        windows.push([at - before, at + token.length + after]);
    for (let at = bytes.indexOf(HASH); at >= 0; at = bytes.indexOf(HASH, at + 1)) {
      if (!isHex(bytes[at + 1]) || !isHex(bytes[at + 2])) continue;
      let start = at;
      while (start > 0 && at - start < ESCAPED_NAME_BYTES && isNameByte(bytes[start - 1]!)) start--;
      if (bytes[start - 1] === 0x2f) windows.push([start - 9, at + 4096]);
    }
    windows.sort((a, b) => a[0] - b[0]);
    for (const [start, end] of windows) {
      if (this.complete) return;
      this.matchText(bytes.toString('latin1', Math.max(0, start), Math.min(bytes.length, end)), where);
    }
  }
}

export interface PdfScan {
  hits: ActiveHit[];
  /** The trailer names an /Encrypt dictionary: strings and streams are unreadable here. */
  encrypted: boolean;
  incomplete: LimitHit[];
  /** Bytes inflated, to charge to the file's budget. */
  inflated: number;
}

/** Bytes read from the PDF at a time; consecutive pieces overlap so no token is cut in two. */
const PIECE_BYTES = 1024 * 1024;
const OVERLAP_BYTES = 4096 + 64;
/** How far after `/ObjStm` its `stream` keyword may be: the rest of one dictionary. */
const DICTIONARY_BYTES = 2048;
const OBJSTM = Buffer.from('/ObjStm');
/** The trailer's (or XRef stream's) key of an encrypted file; not /EncryptMetadata. */
const ENCRYPT = /^\/Encrypt(?![A-Za-z])\s*(?:\d+\s+\d+\s+R|<<)/;
const ENCRYPT_TOKEN = Buffer.from('/Encrypt');

/** Whether `bytes` hold an /Encrypt entry (looked at only where the token is). */
function namesEncryption(bytes: Buffer): boolean {
  for (let at = bytes.indexOf(ENCRYPT_TOKEN); at >= 0; at = bytes.indexOf(ENCRYPT_TOKEN, at + 1))
    if (ENCRYPT.test(bytes.toString('latin1', at, at + 40))) return true;
  return false;
}
const STREAM = Buffer.from('stream');
const ENDSTREAM = Buffer.from('endstream');

interface Bounds {
  maxPdfBytes: number;
  maxInflateBytes: number;
}

/** Scan a PDF read through `source`, within the bounds. */
export async function scanPdf(source: ByteSource, bounds: Bounds): Promise<PdfScan> {
  const end = Math.min(source.size, bounds.maxPdfBytes);
  const found = new PdfHits();
  const incomplete: LimitHit[] = [];
  if (source.size > end)
    incomplete.push({ limit: 'maxPdfBytes', detail: `only the first ${end} bytes were scanned` });
  const objectStreams = new Set<number>();
  const state = { inflated: 0, budgetHit: false };
  let encrypted = false;
  const buffer = Buffer.allocUnsafe(Math.min(PIECE_BYTES + OVERLAP_BYTES, end));
  for (let position = 0; position < end; ) {
    const start = Math.max(0, position - OVERLAP_BYTES);
    const piece = await readPiece(source, buffer, start, end - start);
    if (piece.length === 0) break;
    found.scanBytes(piece, 'body');
    encrypted ||= namesEncryption(piece);
    for (let at = piece.indexOf(OBJSTM); at >= 0; at = piece.indexOf(OBJSTM, at + 1)) {
      if (objectStreams.has(start + at) || state.budgetHit) continue;
      objectStreams.add(start + at);
      await inflateObjectStream(source, start + at, end, bounds, found, state, incomplete);
    }
    position = start + piece.length;
  }
  return { hits: [...found.hits.values()], encrypted, incomplete, inflated: state.inflated };
}

/** Find the data of the object stream whose dictionary holds `/ObjStm` at `at`, inflate it within the budget, scan it. */
async function inflateObjectStream(
  source: ByteSource,
  at: number,
  end: number,
  bounds: Bounds,
  found: PdfHits,
  state: { inflated: number; budgetHit: boolean },
  incomplete: LimitHit[],
): Promise<void> {
  const dictionary = await source.read(at, Math.min(DICTIONARY_BYTES, end - at));
  const keyword = dictionary.indexOf(STREAM);
  if (keyword < 0) return;
  let dataStart = at + keyword + STREAM.length;
  const next = dictionary[keyword + STREAM.length];
  dataStart += next === 0x0d && dictionary[keyword + STREAM.length + 1] === 0x0a ? 2 : next === 0x0a ? 1 : 0;
  const head = dictionary.toString('latin1', 0, keyword);
  const direct = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(head);
  // The stream's data: as long as /Length says, or up to `endstream`, never past the PDF bound.
  const limit = end - dataStart;
  let data = await source.read(dataStart, Math.min(direct ? Number(direct[1]) : limit, limit));
  if (!direct) {
    const close = data.indexOf(ENDSTREAM);
    if (close >= 0) data = data.subarray(0, close);
  }
  if (!/\/FlateDecode\b/.test(head)) {
    found.scanBytes(data, 'stream');
    return;
  }
  const budget = bounds.maxInflateBytes - state.inflated;
  if (budget <= 0) {
    state.budgetHit = true;
    incomplete.push({
      limit: 'maxInflateBytes',
      detail: 'compressed streams past the inflate budget were not scanned',
    });
    return;
  }
  let out: Buffer;
  try {
    out = inflateSync(data, { maxOutputLength: budget, finishFlush: 2 /* Z_SYNC_FLUSH */ });
  } catch (error) {
    if (error instanceof RangeError) {
      state.budgetHit = true;
      incomplete.push({ limit: 'maxInflateBytes', detail: 'a compressed stream inflates past the budget' });
    }
    return; // a corrupt stream: nothing to read in it
  }
  state.inflated += out.length;
  found.scanBytes(out, 'stream');
}
