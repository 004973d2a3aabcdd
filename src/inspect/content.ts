/**
 * Deep content checks for one open regular file, each within its named bound: the tail (appended
 * payloads), markup bodies, PDF actions, and archive listings. Facts only; rules judge.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ActiveHit, ArchiveFacts, ByteSource, InspectedFile, LimitHit } from '../model/types.js';
import {
  appendedZip,
  eicar,
  mayHoldCode,
  rtfObject,
  sample,
  scanBinary,
  scanCsv,
  scanMarkup,
  scriptPolyglot,
} from './active.js';
import { ArchiveContext } from './archive/context.js';
import { inspectArchive, nestedFormat, packagedArchive } from './archive/index.js';
import { type CfbFile, openCfb, vbaStorage, wordDocumentEncrypted, workbookGlobals } from './cfb.js';
import { contentKindOf, typeClassOf } from './filetypes.js';
import type { Limits } from './limits.js';
import { chunksOf } from './local-file.js';
import { isMimeMessage, mailAttachments } from './mail.js';
import { pastHead, pngProfileChunk } from './metadata.js';
import { isOneNote, oneNoteArchive } from './onenote.js';
import { outlookAttachments } from './outlook.js';
import { scanPdf } from './pdf.js';

/** Text a spreadsheet opens by its name, where a cell can start a formula. */
const SPREADSHEET_TEXT = new Set(['csv', 'tsv', 'tab']);

/**
 * What a PostScript program writes to, or calls, to run a command through Ghostscript: its pipe
 * device (`(%pipe%curl …)`, the payload of CVE-2018-16509, CVE-2021-3781, CVE-2023-36664), an
 * output file that is a pipe (`/OutputFile (|id)`), or `.forceput`, the internal operator the
 * -dSAFER escapes reach for. A document that only draws names none of them.
 */
const GHOSTSCRIPT_COMMAND = /%pipe%|\/OutputFile\s*\(\s*\||\.forceput\b/;

/** Record on the file that a bound (or a read error) stopped part of its inspection. */
export function noteIncomplete(file: InspectedFile, hit: LimitHit): void {
  if (file.incomplete) file.incomplete.push(hit);
  else file.incomplete = [hit];
}

const OOXML_NAMES = new Set(['docx', 'docm', 'xlsx', 'xlsm', 'pptx', 'pptm']);

export async function inspectContent(
  source: ByteSource,
  file: InspectedFile,
  tail: Uint8Array | undefined,
  limits: Limits,
): Promise<void> {
  const detected = file.detected;
  const head = file.head ?? new Uint8Array();
  const active: ActiveHit[] = [];
  const test = file.size <= 128 ? eicar(head, 'head') : undefined;
  if (test) active.push(test);
  // A password-protected Word, Excel or PowerPoint file is an OLE container holding an
  // EncryptedPackage, whatever its name says: nothing inside it can be read.
  if (detected?.ext === 'cfb' && OOXML_NAMES.has(file.nameInfo.extension ?? ''))
    file.encrypted = 'a password-protected Office file (an encrypted package)';
  if (detected?.source === 'signature' || detected === undefined) {
    // A zip or tar stores its files as they are: a page among them shows in the archive's own
    // bytes, and is judged as its entry. Server code stays a finding: zip:// and phar:// include
    // a file inside, whatever its name.
    const format = nestedFormat(detected);
    const listed = format === 'zip' || format === 'tar';
    const binaryHits = (bytes: Uint8Array, where: string): ActiveHit[] =>
      mayHoldCode(bytes) ? scanBinary(bytes, where).filter((hit) => !listed || hit.kind !== 'html') : [];
    active.push(...binaryHits(head, 'head'));
    if (tail) active.push(...binaryHits(tail, 'tail'));
    // EXIF, XMP, comments and text chunks can run past the head: read them whole (to the markup
    // bound), and the start of the image data after them.
    const past = await pastHead(
      source,
      detected?.ext,
      Buffer.from(head.buffer, head.byteOffset, head.byteLength),
      limits.maxMarkupBytes,
    );
    const meta = past?.metadata;
    for (const [bytes, where] of [
      [meta, 'metadata'],
      [past?.imageData, 'image data'],
    ] as const) {
      if (bytes && mayHoldCode(bytes))
        for (const hit of scanBinary(bytes, where))
          if (!active.some((a) => a.kind === hit.kind)) active.push(hit);
    }
    if (detected?.ext === 'png') {
      const profile = pngProfileChunk(head) ?? (meta && pngProfileChunk(meta));
      if (profile) active.push(profile);
    }
    const script = detected && scriptPolyglot(detected.ext, head, tail);
    if (script && !active.some((hit) => hit.kind === 'html')) active.push(script);
    // An image or PDF that ends with a zip is both (GIFAR; a PHAR polyglot for phar://).
    if (detected && (typeClassOf(detected.ext) === 'image' || detected.ext === 'pdf')) {
      const end = tail ?? head;
      const zip = end.length === 0 ? undefined : appendedZip(end);
      if (zip) active.push({ kind: 'appended-archive', where: tail ? 'tail' : 'head', sample: zip });
    }
  }
  // ImageMagick runs MVG and MSL under any name, and hands PostScript and EPS to Ghostscript
  // when they come in under an image's name (a PostScript program; .ps and .eps are documents).
  const postscript = detected?.ext === 'ps' || detected?.ext === 'eps';
  if (
    detected?.ext === 'mvg' ||
    detected?.ext === 'msl' ||
    (postscript && typeClassOf(file.nameInfo.extension) === 'image')
  ) {
    const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1').trimStart();
    active.push({ kind: 'image-script', where: 'head', sample: sample(text, 0).replace(/\s+/g, ' ') });
  } else if (postscript) {
    // Under its own name (or a PDF's), PostScript that makes Ghostscript run a command.
    const text = (await source.read(0, Math.min(file.size, limits.maxMarkupBytes))).toString('latin1');
    const at = text.search(GHOSTSCRIPT_COMMAND);
    if (at >= 0)
      active.push({ kind: 'image-script', where: 'body', sample: sample(text, at).replace(/\s+/g, ' ') });
  }
  if (SPREADSHEET_TEXT.has(file.nameInfo.extension ?? '') && detected?.source === 'text') {
    const hits = scanCsv(head, 'head');
    active.push(...(hits.length > 0 || !tail ? hits : scanCsv(tail, 'tail')));
  }
  if (detected && (detected.ext === 'svg' || detected.ext === 'xml' || detected.ext === 'html')) {
    const length = Math.min(file.size, limits.maxMarkupBytes);
    active.push(...scanMarkup((await source.read(0, length)).toString('utf8'), detected.ext));
    if (file.size > limits.maxMarkupBytes)
      noteIncomplete(file, {
        limit: 'maxMarkupBytes',
        detail: `only the first ${length} bytes were scanned`,
      });
  } else if (detected?.ext === 'rtf') {
    // Embedded objects, to the markup bound; a long RTF (images inline as hex) is not reported
    // as incomplete: most are.
    const length = Math.min(file.size, limits.maxMarkupBytes);
    const hit = rtfObject((await source.read(0, length)).toString('latin1'));
    if (hit) active.push(hit);
  } else if (detected?.ext === 'pdf') {
    const scan = await scanPdf(source, limits);
    active.push(...scan.hits);
    // The files it embeds, by the names it gives them: judged as an archive's entries are.
    if (scan.attachments.length > 0) file.archive = attachedFiles(scan.attachments, limits);
    if (scan.encrypted)
      file.encrypted = 'an encrypted PDF: the dictionaries in its object streams cannot be read';
    for (const hit of scan.incomplete) noteIncomplete(file, hit);
  } else if (nestedFormat(detected)) {
    const result = await inspectArchive(source, detected!, file.name, limits);
    if (result) {
      file.archive = result.facts;
      active.push(...result.ctx.active);
      const locked = result.ctx.encrypted;
      if (locked.length > 0)
        file.encrypted = `${locked.length} encrypted archive ${locked.length === 1 ? 'entry' : 'entries'}: ${locked.slice(0, 3).join(', ')}${locked.length > 3 ? ', …' : ''}`;
      for (const hit of result.ctx.incomplete) noteIncomplete(file, hit);
      const inner = result.facts.format === 'gzip' ? result.facts.entries[0]?.detected?.ext : undefined;
      if (inner === 'svg' || inner === 'xml' || inner === 'html') {
        // An .svgz (or any gzip of markup): browsers and converters inflate it and run what it holds.
        const { bytes, cut } = await gunzipPrefix(source, limits.maxMarkupBytes);
        active.push(...scanMarkup(bytes.toString('utf8'), inner));
        if (cut)
          noteIncomplete(file, {
            limit: 'maxMarkupBytes',
            detail: `only the first ${limits.maxMarkupBytes} inflated bytes were scanned`,
          });
      }
    }
  } else if (detected?.ext === 'cfb' || detected?.ext === 'doc' || detected?.ext === 'xls') {
    const ole = await openCfb(source);
    if (ole) {
      const { hits, encrypted } = await legacyOffice(ole);
      active.push(...hits);
      if (encrypted) file.encrypted = encrypted;
      // An Outlook message's attachments, or a file an Office document packages as an OLE
      // object (an .exe shown as an icon): judged as archive entries.
      const packaged = (await outlookAttachments(ole, limits)) ?? (await packagedArchive(ole, limits));
      if (packaged) {
        file.archive = packaged.facts;
        active.push(...packaged.ctx.active);
      }
    }
  } else if (detected?.ext === 'txt' && isMimeMessage(head)) {
    // Mail saved as a file (.eml): the files it attaches, by name, judged as archive entries.
    const attached = await mailAttachments(source, limits);
    if (attached) {
      file.archive = attached.facts;
      for (const hit of attached.ctx.incomplete) noteIncomplete(file, hit);
    }
  } else if (isOneNote(head)) {
    // Files attached to a note (an .hta behind a "click to view" button): judged as archive entries.
    const attached = await oneNoteArchive(source, limits);
    if (attached) {
      file.archive = attached.facts;
      active.push(...attached.ctx.active);
      for (const hit of attached.ctx.incomplete) noteIncomplete(file, hit);
    }
  } else if (detected && contentKindOf(detected.ext) === 'archive') {
    // 7z, bzip2, zstd …: what they hold was not listed, let alone read. Said, not passed.
    noteIncomplete(file, {
      limit: 'archive format',
      detail: `a ${detected.ext} archive, whose entries were not read; zip, tar, gzip, xz, cab and rar are opened`,
    });
  }
  if (active.length > 0) file.active = active;
}

/** A PDF's embedded files as the entries of an archive: names only (their streams are not read). */
function attachedFiles(names: string[], limits: Limits): ArchiveFacts {
  const ctx = new ArchiveContext(limits);
  ctx.addNames(names);
  return ctx.facts('pdf');
}

/** Bytes of an Excel workbook stream read for its sheet declarations, which open the stream. */
const WORKBOOK_GLOBALS_BYTES = 64 * 1024;

/**
 * What a legacy Office file's own streams say, each stream's start read once: its macros (a VBA
 * project storage, which only the directory names: the streams' sectors lie anywhere; or an
 * Excel 4.0 macro sheet its workbook declares), and whether a password to open keeps its content
 * unread (the form malware mail sends, the password in its body).
 */
async function legacyOffice(file: CfbFile): Promise<{ hits: ActiveHit[]; encrypted?: string }> {
  const stream = (name: RegExp) => file.entries.find((entry) => entry.type === 2 && name.test(entry.name));
  const word = stream(/^WordDocument$/);
  const fib = word && (await file.streamStart(word, 32));
  const book = stream(/^(?:Workbook|Book)$/i);
  const globals =
    book && workbookGlobals((await file.streamStart(book, WORKBOOK_GLOBALS_BYTES)) ?? Buffer.alloc(0));
  const vba = vbaStorage(file.entries);
  const hits: ActiveHit[] = [];
  if (vba) hits.push({ kind: 'macro', where: 'body', sample: `a VBA project (the ${vba} storage)` });
  else if (globals?.macroSheet !== undefined)
    hits.push({ kind: 'macro', where: 'body', sample: `an Excel 4.0 macro sheet (${globals.macroSheet})` });
  const encrypted =
    fib && wordDocumentEncrypted(fib)
      ? 'a password-protected Word 97-2003 document'
      : globals?.encrypted
        ? 'a password-protected Excel 97-2003 workbook'
        : undefined;
  return { hits, ...(encrypted && { encrypted }) };
}

/** The first `limit` bytes a gzip inflates to, and whether it holds more. */
async function gunzipPrefix(source: ByteSource, limit: number): Promise<{ bytes: Buffer; cut: boolean }> {
  const gunzip = Readable.from(chunksOf(source)).pipe(createGunzip());
  const pieces: Buffer[] = [];
  let length = 0;
  try {
    for await (const piece of gunzip as AsyncIterable<Buffer>) {
      pieces.push(piece);
      length += piece.length;
      if (length > limit) break;
    }
  } finally {
    gunzip.destroy();
  }
  return { bytes: Buffer.concat(pieces).subarray(0, limit), cut: length > limit };
}
