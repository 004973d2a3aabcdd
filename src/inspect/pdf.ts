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
import { emptyPasswordDecryptor, type StreamDecryptor } from './pdf-crypt.js';
import { hexString, literalString } from './pdf-syntax.js';
import { overlappingPieces, readPiece } from './read.js';
import { giveBack, takeScratch } from './scratch.js';

/** `/J#61vaScript` is `/JavaScript`: PDF names may spell any byte as #xx. */
const unescapeNames = (text: string): string =>
  text.replace(/\/[^\s/<>[\]()]*#[0-9a-f]{2}[^\s/<>[\]()]*/gi, (name) =>
    name.replace(/#([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
  );

const KEYS: [ActiveKind, RegExp][] = [
  ['pdf-javascript', /\/(?:JavaScript|JS)\b/],
  ['pdf-launch', /\/Launch\b/],
  // A RichMedia annotation: Flash (or video with its own scripts) played inside the document,
  // the way the 2010-2011 Acrobat exploits (CVE-2010-1297, CVE-2011-0611) were delivered.
  ['pdf-rich-media', /\/RichMedia\b/],
  ['pdf-embedded-file', /\/EmbeddedFiles?\b/],
  // An OpenAction or additional action that runs something (not a plain page destination), or
  // opens a web address on its own: tracking who reads, or a phishing page, with no click.
  [
    'pdf-open-action',
    /\/(?:OpenAction|AA)\s*<<[^>]*\/S\s*\/(?:JavaScript|Launch|SubmitForm|ImportData|GoToE|GoToR|Rendition|URI)\b/,
  ],
];

/**
 * The keys at least one of the patterns above needs, each a name starting with `/`, and how much
 * text around a hit is matched: an action dictionary can run long between its key and its `/S`.
 */
const KEY_TOKENS: { token: Buffer; after: number }[] = [
  ...['/JavaScript', '/JS', '/Launch', '/Embedded', '/RichMedia'].map((t) => ({
    token: Buffer.from(t),
    after: 80,
  })),
  ...['/OpenAction', '/AA'].map((t) => ({ token: Buffer.from(t), after: 4096 })),
];
const BEFORE_KEY = 8;
/** A name spelled with #xx escapes has its first `#` at most this many bytes after its `/`. */
const ESCAPED_NAME_BYTES = 48;
const SLASH = 0x2f;
const HASH = 0x23;
const OBJSTM = Buffer.from('/ObjStm');
const ENCRYPT_TOKEN = Buffer.from('/Encrypt');
const XFA_TOKEN = Buffer.from('/XFA');
/** XFA streams named per form, at most: a form has a handful (template, datasets, config …). */
const MAX_XFA_STREAMS = 32;
/** A script an XFA form runs as JavaScript (FormCalc, the default language, cannot call out). */
const XFA_JAVASCRIPT = /<(?:[\w.-]+:)?script\b[^>]*\bcontentType\s*=\s*["']application\/x-javascript/i;

/** Bytes a PDF name may hold unescaped: printable, not white space, not a delimiter. */
const NAME_BYTE = new Uint8Array(256);
for (let b = 0x21; b < 0x7f; b++) if (!'()<>[]{}/%'.includes(String.fromCharCode(b))) NAME_BYTE[b] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** Does `token` start at `at` (and end within `bytes`: a piece may end mid-name)? */
const startsAt = (bytes: Buffer, at: number, token: Buffer): boolean =>
  at + token.length <= bytes.length && bytes.compare(token, 0, token.length, at, at + token.length) === 0;

/** Where, in some PDF bytes, the keys that matter are: found in one pass over the `/`s. */
interface Keys {
  /** Text around action keys and names spelled with #xx escapes, to match the patterns in. */
  windows: [number, number][];
  /** Offsets of `/ObjStm` (an object stream's dictionary). */
  objectStreams: number[];
  /** Offsets of `/Encrypt`. */
  encrypt: number[];
  /** Offsets of `/EF`: the embedded-file key of a file specification, whose name is near. */
  embedded: number[];
  /** Offsets of `/XFA`: an XML form, whose scripts sit in the streams it names. */
  xfa: number[];
}

/**
 * The first letters of the keys below (J, L, E, R, O, A, X): most names a PDF holds (/Type,
 * /Filter, /Length, /Font …) start otherwise and skip the comparisons. This loop runs for every
 * `/` of every PDF read, and each key added to it was paid for there.
 */
const KEY_START = new Uint8Array(256);
for (const token of [...KEY_TOKENS.map((k) => k.token), OBJSTM, ENCRYPT_TOKEN, XFA_TOKEN])
  KEY_START[token[1]!] = 1;

/**
 * Every key and name an action or an encrypted file needs starts with `/`: one native search for
 * `/` and a look at the bytes after each, instead of a search of the whole piece per token.
 */
function findKeys(bytes: Buffer): Keys {
  const keys: Keys = { windows: [], objectStreams: [], encrypt: [], embedded: [], xfa: [] };
  for (let at = bytes.indexOf(SLASH); at >= 0; at = bytes.indexOf(SLASH, at + 1)) {
    if (KEY_START[bytes[at + 1] ?? 0] === 1) {
      for (const { token, after } of KEY_TOKENS)
        if (bytes[at + 1] === token[1] && startsAt(bytes, at, token))
          keys.windows.push([at - BEFORE_KEY, at + token.length + after]);
      if (bytes[at + 1] === 0x4f && startsAt(bytes, at, OBJSTM)) keys.objectStreams.push(at);
      if (bytes[at + 1] === 0x45 && startsAt(bytes, at, ENCRYPT_TOKEN)) keys.encrypt.push(at);
      if (bytes[at + 1] === 0x45 && bytes[at + 2] === 0x46 && NAME_BYTE[bytes[at + 3] ?? 0] !== 1)
        keys.embedded.push(at);
      if (bytes[at + 1] === 0x58 && startsAt(bytes, at, XFA_TOKEN) && NAME_BYTE[bytes[at + 4] ?? 0] !== 1)
        keys.xfa.push(at);
    }
    const nameEnd = Math.min(bytes.length, at + 1 + ESCAPED_NAME_BYTES);
    for (let i = at + 1; i < nameEnd && NAME_BYTE[bytes[i]!] === 1; i++) {
      if (bytes[i] === HASH && HEX[bytes[i + 1] ?? 0] === 1 && HEX[bytes[i + 2] ?? 0] === 1) {
        keys.windows.push([at - BEFORE_KEY, i + 4096]);
        break;
      }
    }
  }
  return keys;
}

/** Attachment names kept per PDF: a portfolio of thousands is named by its first ones. */
const MAX_ATTACHMENTS = 1000;
/** How far around `/EF` its file specification's name may be: the rest of one dictionary. */
const FILESPEC_BYTES = 1024;
/** A file specification's name key and the start of its string: `/UF (`, `/F<`. */
const NAME_KEY = /\/(UF|F)\s*([(<])/g;

/** A PDF text string's bytes as text: UTF-16BE after its byte order mark, else PDFDocEncoding (as Latin-1). */
function textString(bytes: number[]): string {
  const buffer = Buffer.from(bytes);
  if (buffer[0] === 0xfe && buffer[1] === 0xff) {
    const body = Buffer.from(buffer.subarray(2, 2 + ((buffer.length - 2) & ~1)));
    return body.swap16().toString('utf16le');
  }
  if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) return buffer.toString('utf8', 3);
  return buffer.toString('latin1');
}

/**
 * The name of the file specification whose `/EF` key is at `at`: its `/UF` (the Unicode name)
 * or else its `/F`, whichever lies nearest the key within one dictionary's reach.
 */
function attachmentName(bytes: Buffer, at: number): string | undefined {
  const start = Math.max(0, at - FILESPEC_BYTES);
  const text = bytes.toString('latin1', start, Math.min(bytes.length, at + FILESPEC_BYTES));
  const key = at - start;
  let best: { distance: number; unicode: boolean; name: string } | undefined;
  for (const m of text.matchAll(NAME_KEY)) {
    // `/EF << /F 12 0 R >>` names the stream, not the file: only a string is a name.
    const open = m.index + m[0].length;
    const raw = m[2] === '(' ? literalString(text, open) : hexString(text, open);
    if (raw === undefined || raw.length === 0) continue;
    const name = textString(raw).replace(/\0+$/, '');
    const distance = Math.abs(m.index - key);
    const unicode = m[1] === 'UF';
    if (
      !best ||
      (unicode && !best.unicode && distance < FILESPEC_BYTES) ||
      (unicode === best.unicode && distance < best.distance)
    )
      best = { distance, unicode, name };
  }
  return best?.name;
}

class PdfHits {
  readonly hits = new Map<ActiveKind, ActiveHit>();
  /** The names of embedded files, as their file specifications give them. */
  readonly attachments = new Set<string>();
  /** The streams (`number generation`) an XFA form is kept in. */
  readonly xfaStreams = new Set<string>();

  /** The references after each `/XFA` key: one stream, or an array of named ones. */
  noteXfa(bytes: Buffer, positions: number[]): void {
    for (const at of positions) {
      const text = bytes.toString('latin1', at + XFA_TOKEN.length, at + XFA_TOKEN.length + 1024);
      const value = /^\s*\[([^\]]*)\]/.exec(text)?.[1] ?? /^\s*\d+\s+\d+\s+R/.exec(text)?.[0] ?? '';
      for (const ref of value.matchAll(/(\d+)\s+(\d+)\s+R/g))
        if (this.xfaStreams.size < MAX_XFA_STREAMS) this.xfaStreams.add(`${ref[1]} ${ref[2]}`);
    }
  }

  /** The name of the file specification around each `/EF` key. */
  nameAttachments(bytes: Buffer, embedded: number[]): void {
    for (const at of embedded) {
      if (this.attachments.size >= MAX_ATTACHMENTS) return;
      const name = attachmentName(bytes, at);
      if (name !== undefined) this.attachments.add(name);
    }
  }

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

  /** Match the text around the keys and escaped names found in `bytes`, in order. */
  scanKeys(bytes: Buffer, windows: [number, number][], where: string): void {
    windows.sort((a, b) => a[0] - b[0]);
    for (const [start, end] of windows) {
      if (this.complete) return;
      this.matchText(bytes.toString('latin1', Math.max(0, start), Math.min(bytes.length, end)), where);
    }
  }

  scanBytes(bytes: Buffer, where: string): void {
    const keys = findKeys(bytes);
    this.scanKeys(bytes, keys.windows, where);
    this.nameAttachments(bytes, keys.embedded);
    this.noteXfa(bytes, keys.xfa);
  }
}

export interface PdfScan {
  hits: ActiveHit[];
  /** Names of the files it embeds (its file specifications' /UF or /F), at most MAX_ATTACHMENTS. */
  attachments: string[];
  /**
   * The trailer names an /Encrypt dictionary and the file keeps dictionaries in object streams,
   * which are then unreadable here. Without object streams every dictionary (and every key an
   * action needs) is in the clear: only strings and streams are encrypted, and page content and
   * images are never read anyway.
   */
  encrypted: boolean;
  incomplete: LimitHit[];
  /** Bytes inflated, to charge to the file's budget. */
  inflated: number;
}

/**
 * Bytes read from the PDF at a time. From a remote source the first read of a run is small, and
 * each read that finds no stream to step over doubles the next, up to PIECE_BYTES: a PDF of
 * images is then fetched as its dictionaries (a few small reads between the streams it steps
 * over), one of small objects in large pieces. Consecutive pieces overlap so no token is cut in
 * two.
 */
const FIRST_PIECE_BYTES = 64 * 1024;
const PIECE_BYTES = 1024 * 1024;
const OVERLAP_BYTES = 4096 + 64;
/**
 * From a remote source, a stream whose data is at least this long, with a direct /Length that an
 * `endstream` really follows, is stepped over, not fetched: its bytes are drawing data (images,
 * page content, fonts) that no reader takes keys from. Object streams are read and inflated on
 * their own. Local files are read through: a reader that follows the cross-reference table can
 * be pointed at an object placed inside another stream's data, and only a sequential read of
 * every byte sees it; over a network, fetching every byte is what the bounds are there to avoid.
 */
const STEP_OVER_BYTES = 16 * 1024;
/** How far after `/ObjStm` its `stream` keyword may be: the rest of one dictionary. */
const DICTIONARY_BYTES = 2048;
/** The trailer's (or XRef stream's) key of an encrypted file; not /EncryptMetadata. */
const ENCRYPT = /^\/Encrypt(?![A-Za-z])\s*(?:\d+\s+\d+\s+R|<<)/;
/** A stream dictionary's direct /Length (not `/Length 12 0 R`, not /Length1 of a font). */
const DIRECT_LENGTH = /\/Length\s+(\d+)(?!\d|\s+\d+\s+R)/;

const STREAM = Buffer.from('stream');
const ENDSTREAM = Buffer.from('endstream');
const CR = 0x0d;
const LF = 0x0a;

interface Bounds {
  maxPdfBytes: number;
  maxInflateBytes: number;
}

/** Where a stream's data starts, after its keyword and the end of line that follows it. */
function dataStartAfter(bytes: Buffer, keyword: number): number {
  const at = keyword + STREAM.length;
  return bytes[at] === CR && bytes[at + 1] === LF
    ? at + 2
    : bytes[at] === LF || bytes[at] === CR
      ? at + 1
      : at;
}

/**
 * The first stream in `piece` (at or after `from`) to step over: its `stream` keyword's end and
 * its data's end (offsets in the file). Its length must be direct and confirmed by `endstream`
 * where it says, or the data is read like any other bytes (a lying /Length hides nothing).
 */
async function streamToStepOver(
  source: ByteSource,
  piece: Buffer,
  start: number,
  from: number,
  end: number,
): Promise<{ keywordEnd: number; dataEnd: number } | undefined> {
  for (let k = piece.indexOf(STREAM, from); k >= 0; k = piece.indexOf(STREAM, k + STREAM.length)) {
    const before = piece[k - 1];
    const after = piece[k + STREAM.length];
    // `endstream` is not a stream's start; the keyword ends its line.
    if (before === 0x64 /* d */ || (after !== CR && after !== LF)) continue;
    const head = piece.toString('latin1', Math.max(0, k - DICTIONARY_BYTES), k);
    // The dictionary of this object: after its `N G obj` (a /Length before it is another's).
    const dictionary = head.slice(Math.max(0, head.search(/\sobj\s(?![\s\S]*\sobj\s)/)));
    const length = DIRECT_LENGTH.exec(dictionary);
    if (!length) continue;
    const dataEnd = start + dataStartAfter(piece, k) + Number(length[1]);
    if (Number(length[1]) < STEP_OVER_BYTES || dataEnd + ENDSTREAM.length + 2 > end) continue;
    const tail = await source.read(dataEnd, ENDSTREAM.length + 2);
    if (tail.toString('latin1').trimStart().startsWith('endstream'))
      return { keywordEnd: k + STREAM.length, dataEnd };
  }
  return undefined;
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
  /** Where the last trailer's /Encrypt key is (the file is encrypted): its value and /ID are near. */
  let encryptAt: number | undefined;
  const buffer = takeScratch(Math.min(PIECE_BYTES + OVERLAP_BYTES, end));
  /** Scan `bytes`, found at `offset` in the file, for keys, /Encrypt and object streams. */
  const scan = async (bytes: Buffer, offset: number): Promise<void> => {
    const keys = findKeys(bytes);
    found.scanKeys(bytes, keys.windows, 'body');
    found.nameAttachments(bytes, keys.embedded);
    found.noteXfa(bytes, keys.xfa);
    for (const at of keys.encrypt)
      if (ENCRYPT.test(bytes.toString('latin1', at, at + 40))) encryptAt = offset + at;
    for (const at of keys.objectStreams) {
      if (objectStreams.has(offset + at) || state.budgetHit) continue;
      objectStreams.add(offset + at);
      await inflateObjectStream(source, offset + at, end, bounds, found, state, incomplete);
    }
  };
  try {
    const stepOver = source.remote === true;
    let pieceBytes = stepOver ? FIRST_PIECE_BYTES : PIECE_BYTES;
    let overlap = 0;
    for (let position = 0; position < end; ) {
      const start = Math.max(0, position - overlap);
      const piece = await readPiece(
        source,
        buffer,
        start,
        Math.min(position - start + pieceBytes, end - start),
      );
      if (piece.length === 0) break;
      // The piece a segment at a time: the bytes up to a stream to step over, then on after it.
      let segment = 0;
      let next = start + piece.length;
      for (;;) {
        const step =
          stepOver &&
          (await streamToStepOver(source, piece, start, Math.max(segment, position - start), end));
        if (!step) {
          await scan(piece.subarray(segment), start + segment);
          break;
        }
        await scan(piece.subarray(segment, step.keywordEnd), start + segment);
        if (step.dataEnd >= start + piece.length) {
          next = step.dataEnd;
          break;
        }
        segment = step.dataEnd - start;
      }
      const stepped = next > start + piece.length;
      overlap = stepped ? 0 : OVERLAP_BYTES;
      pieceBytes = stepped ? FIRST_PIECE_BYTES : Math.min(PIECE_BYTES, pieceBytes * 2);
      position = next;
    }
  } finally {
    giveBack(buffer);
  }
  // Object streams of an encrypted file did not inflate above: read again, decrypted, when the
  // empty password opens the file (as every reader does without asking).
  // Worked out only when something encrypted is to be read: the AES-256 key takes some hashing.
  const needed = objectStreams.size > 0 || found.xfaStreams.size > 0;
  const encrypted = encryptAt !== undefined;
  const decrypt = encryptAt !== undefined && needed ? await streamDecryptor(source, encryptAt) : undefined;
  let unreadable = encrypted && objectStreams.size > 0;
  if (unreadable && decrypt) {
    unreadable = false;
    for (const at of objectStreams)
      if (!(await inflateObjectStream(source, at, end, bounds, found, state, incomplete, decrypt)))
        unreadable = true;
  }
  // An XML form's JavaScript is in the streams its /XFA names (page-like data, not dictionaries):
  // found and read only for a file that has one.
  if (found.xfaStreams.size > 0 && !found.hits.has('pdf-javascript') && (!encrypted || decrypt)) {
    const starts = await findObjects(source, found.xfaStreams, end);
    for (const ref of found.xfaStreams) {
      const at = starts.get(ref);
      const data =
        at === undefined
          ? 'unreadable'
          : await streamData(source, at, end, bounds, state, incomplete, decrypt);
      if (typeof data === 'string') continue;
      const text = data.toString('latin1');
      const script = XFA_JAVASCRIPT.exec(text);
      if (script) {
        found.hits.set('pdf-javascript', {
          kind: 'pdf-javascript',
          where: 'XFA form',
          sample: text.slice(script.index, script.index + 120).replace(/[^\x20-\x7e]+/g, ' '),
        });
        break;
      }
    }
  }
  return {
    hits: [...found.hits.values()],
    attachments: [...found.attachments],
    encrypted: unreadable,
    incomplete,
    inflated: state.inflated,
  };
}

/**
 * Find the data of the object stream whose dictionary holds `/ObjStm` at `at`, decrypt it when
 * given a decryptor, inflate it within the budget, scan it. False when it could not be read.
 */
async function inflateObjectStream(
  source: ByteSource,
  at: number,
  end: number,
  bounds: Bounds,
  found: PdfHits,
  state: { inflated: number; budgetHit: boolean },
  incomplete: LimitHit[],
  decrypt?: StreamDecryptor,
): Promise<boolean> {
  const data = await streamData(source, at, end, bounds, state, incomplete, decrypt);
  if (data === 'unreadable') return false;
  if (data !== 'budget') found.scanBytes(data, 'stream');
  return true;
}

/**
 * The data of the stream whose dictionary holds (or starts at) `at`: decrypted when given a
 * decryptor, inflated within the budget when Flate-encoded. 'budget' when the inflate budget
 * stopped it (said in `incomplete`), 'unreadable' when it is corrupt or still encrypted.
 */
async function streamData(
  source: ByteSource,
  at: number,
  end: number,
  bounds: Bounds,
  state: { inflated: number; budgetHit: boolean },
  incomplete: LimitHit[],
  decrypt?: StreamDecryptor,
): Promise<Buffer | 'budget' | 'unreadable'> {
  const dictionary = await source.read(at, Math.min(DICTIONARY_BYTES, end - at));
  const keyword = dictionary.indexOf(STREAM);
  if (keyword < 0) return 'unreadable';
  let dataStart = at + keyword + STREAM.length;
  const next = dictionary[keyword + STREAM.length];
  dataStart += next === 0x0d && dictionary[keyword + STREAM.length + 1] === 0x0a ? 2 : next === 0x0a ? 1 : 0;
  const head = dictionary.toString('latin1', 0, keyword);
  const direct = DIRECT_LENGTH.exec(head);
  // The stream's data: as long as /Length says, or up to `endstream`, never past the PDF bound.
  const limit = end - dataStart;
  let data = await source.read(dataStart, Math.min(direct ? Number(direct[1]) : limit, limit));
  if (!direct) {
    const close = data.indexOf(ENDSTREAM);
    if (close >= 0) data = data.subarray(0, close);
  }
  if (decrypt) {
    const object = await objectNumber(source, at);
    if (!object) return 'unreadable';
    try {
      data = decrypt(data, object.number, object.generation);
    } catch {
      return 'unreadable';
    }
  }
  if (!/\/FlateDecode\b/.test(head)) return data;
  const budget = bounds.maxInflateBytes - state.inflated;
  if (budget <= 0) {
    state.budgetHit = true;
    incomplete.push({
      limit: 'maxInflateBytes',
      detail: 'compressed streams past the inflate budget were not scanned',
    });
    return 'budget';
  }
  try {
    const out = inflateSync(data, { maxOutputLength: budget, finishFlush: 2 /* Z_SYNC_FLUSH */ });
    state.inflated += out.length;
    return out;
  } catch (error) {
    if (error instanceof RangeError) {
      state.budgetHit = true;
      incomplete.push({ limit: 'maxInflateBytes', detail: 'a compressed stream inflates past the budget' });
      return 'budget';
    }
    return 'unreadable'; // a corrupt (or still encrypted) stream: nothing to read in it
  }
}

/**
 * Where each object asked for (`number generation`) starts, after its `obj`: looked for in the
 * file's last bytes first (where an encryption dictionary or an incremental update's objects
 * usually are), then, for those not found there, through the whole file once, a piece at a time.
 */
async function findObjects(
  source: ByteSource,
  refs: Iterable<string>,
  end: number,
): Promise<Map<string, number>> {
  const wanted = new Set(refs);
  const found = new Map<string, number>();
  const search = (text: string, start: number): void => {
    for (const m of text.matchAll(/(?:^|[^\d])(\d+)\s+(\d+)\s+obj\b/g)) {
      const ref = `${m[1]} ${m[2]}`;
      if (wanted.has(ref) && !found.has(ref)) found.set(ref, start + m.index + m[0].length);
    }
  };
  const tailStart = Math.max(0, end - TAIL_SEARCH_BYTES);
  search((await source.read(tailStart, end - tailStart)).toString('latin1'), tailStart);
  if (found.size === wanted.size || tailStart === 0) return found;
  // Pieces overlap by more than a header's length, so none is cut in two.
  for await (const { piece, start } of overlappingPieces(source, end, PIECE_BYTES, 64)) {
    search(piece.toString('latin1'), start);
    if (found.size === wanted.size) break;
  }
  return found;
}

/** The `N G obj` that opens the object whose dictionary holds the key at `at`. */
async function objectNumber(
  source: ByteSource,
  at: number,
): Promise<{ number: number; generation: number } | undefined> {
  const from = Math.max(0, at - DICTIONARY_BYTES);
  const text = (await source.read(from, at - from)).toString('latin1');
  const headers = [...text.matchAll(/(?:^|[^\d])(\d+)\s+(\d+)\s+obj\b/g)];
  const last = headers.at(-1);
  return last && { number: Number(last[1]), generation: Number(last[2]) };
}

/** How far around the trailer's /Encrypt key its /ID may be, and how far an object's text runs. */
const TRAILER_BYTES = 4096;
/** How much of the file's end is searched first for an object (see findObjects). */
const TAIL_SEARCH_BYTES = 256 * 1024;

/** A string value of `key` in `text` (literal or hex), as bytes. */
function stringValue(text: string, key: string): Buffer | undefined {
  const m = new RegExp(String.raw`\/${key}\s*([(<])`).exec(text);
  if (!m) return undefined;
  const open = m.index + m[0].length;
  const bytes = m[1] === '(' ? literalString(text, open) : hexString(text, open);
  return bytes && Buffer.from(bytes);
}

/** The text of object `number generation`, to its `endobj`. */
async function objectText(
  source: ByteSource,
  number: number,
  generation: number,
): Promise<string | undefined> {
  const ref = `${number} ${generation}`;
  const at = (await findObjects(source, [ref], source.size)).get(ref);
  if (at === undefined) return undefined;
  const body = (await source.read(at, TRAILER_BYTES)).toString('latin1');
  const close = body.indexOf('endobj');
  return close < 0 ? body : body.slice(0, close);
}

/**
 * What the trailer's /Encrypt (and /ID) say, as a decryptor of stream data for the empty user
 * password; undefined when the file asks for a password or the dictionary cannot be read.
 */
async function streamDecryptor(source: ByteSource, encryptAt: number): Promise<StreamDecryptor | undefined> {
  const from = Math.max(0, encryptAt - TRAILER_BYTES);
  const trailer = (await source.read(from, 2 * TRAILER_BYTES)).toString('latin1');
  const value = trailer.slice(encryptAt - from);
  const reference = /^\/Encrypt\s*(\d+)\s+(\d+)\s+R/.exec(value);
  const text = reference
    ? await objectText(source, Number(reference[1]), Number(reference[2]))
    : value.slice(value.indexOf('<<'), value.indexOf('<<') + TRAILER_BYTES);
  // The /ID of the same trailer: the one nearest its /Encrypt (not an /IDTree, not another trailer's).
  const key = encryptAt - from;
  const id = [...trailer.matchAll(/\/ID\s*\[\s*([(<])/g)].sort(
    (a, b) => Math.abs(a.index - key) - Math.abs(b.index - key),
  )[0];
  const firstId =
    id && Buffer.from((id[1] === '(' ? literalString : hexString)(trailer, id.index + id[0].length) ?? []);
  if (text === undefined || !firstId || !/\/Filter\s*\/Standard\b/.test(text)) return undefined;
  const number = (key: string, fallback: number) => {
    const m = new RegExp(String.raw`\/${key}\s+(-?\d+)`).exec(text);
    return m ? Number(m[1]) : fallback;
  };
  const v = number('V', 0);
  const r = number('R', 2);
  const o = stringValue(text, 'O');
  const u = stringValue(text, 'U');
  if (!o || !u) return undefined;
  // The top level's /Length is in bits (40 to 256); a crypt filter's, in bytes, is smaller.
  const lengths = [...text.matchAll(/\/Length\s+(\d+)/g)].map((m) => Number(m[1])).filter((n) => n >= 40);
  const stmF = /\/StmF\s*\/(\w+)/.exec(text)?.[1];
  const cfm = /\/CFM\s*\/(\w+)/.exec(text)?.[1];
  const streams =
    v >= 4 && stmF === 'Identity' ? 'none' : v >= 4 && (cfm === 'AESV2' || cfm === 'AESV3') ? 'aes' : 'rc4';
  const ue = stringValue(text, 'UE');
  return emptyPasswordDecryptor({
    v,
    r,
    length: r === 2 ? 40 : v >= 4 && streams === 'aes' && r === 4 ? 128 : (lengths[0] ?? 40),
    p: number('P', -1),
    o,
    u,
    ...(ue && { ue }),
    id: firstId,
    encryptMetadata: !/\/EncryptMetadata\s+false\b/.test(text),
    streams,
  });
}
