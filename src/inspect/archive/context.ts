import type {
  ActiveHit,
  ArchiveEntryFacts,
  ArchiveFacts,
  DetectedType,
  LimitHit,
} from '../../model/types.js';
import {
  decodeReferences,
  eicar,
  entityExpansion,
  externalEntity,
  isMacroEntry,
  mayHoldCode,
  scanBinary,
} from '../active.js';
import { type CfbFile, openCfb, packagedFile } from '../cfb.js';
import { detectType } from '../detect.js';
import { EXECUTABLE_EXTENSIONS, typeClassOf } from '../filetypes.js';
import type { Limits } from '../limits.js';
import { MemoryBytes } from '../memory-bytes.js';
import { analyzeName, innermostPath, lastComponent } from '../names.js';

/** State shared by everything read from one file on disk, however deeply nested. */
export class ArchiveContext {
  readonly entries: ArchiveEntryFacts[] = [];
  readonly incomplete: LimitHit[] = [];
  readonly tooDeep: string[] = [];
  readonly active: ActiveHit[] = [];
  /** Entries whose data is encrypted (not read). */
  readonly encrypted: string[] = [];
  declaredTotal = 0;
  overlapping = false;
  /** Bytes inflated or read from entries so far, against limits.maxInflateBytes. */
  consumed = 0;
  #limited = new Set<string>();

  constructor(readonly limits: Limits) {}

  /** What the walk found, as the file's archive facts (`error`: why it stopped short, if it did). */
  facts(format: ArchiveFacts['format'], error?: string): ArchiveFacts {
    const facts: ArchiveFacts = {
      format,
      entries: this.entries,
      declaredTotal: this.declaredTotal,
      overlapping: this.overlapping,
      tooDeep: this.tooDeep,
    };
    if (error !== undefined) facts.error = error;
    return facts;
  }

  /** Record that a bound was hit, once per bound. */
  hit(limit: keyof Limits, detail: string): void {
    if (this.#limited.has(limit)) return;
    this.#limited.add(limit);
    this.incomplete.push({ limit, detail });
  }

  get budgetLeft(): number {
    return this.limits.maxInflateBytes - this.consumed;
  }

  /** Files known only by name (a PDF's or a message's attachments): entries with no size or data. */
  addNames(names: Iterable<string>): void {
    for (const name of names) if (!this.add({ path: name, kind: 'file', declaredSize: 0, depth: 1 })) return;
  }

  /** Add an entry; false once maxArchiveEntries is reached (the caller stops listing). */
  add(entry: ArchiveEntryFacts): boolean {
    if (this.entries.length >= this.limits.maxArchiveEntries) {
      this.hit('maxArchiveEntries', `only the first ${this.limits.maxArchiveEntries} entries were listed`);
      return false;
    }
    this.entries.push(entry);
    this.declaredTotal += entry.declaredSize;
    if (entry.kind === 'file' && isMacroEntry(innermostPath(entry.path))) {
      this.active.push({ kind: 'macro', where: entry.path, sample: entry.path });
    }
    return true;
  }
}

/**
 * Relationship types that make Office fetch and use something when a document opens: a remote
 * template (macros from elsewhere), an OLE object or frame, a sub-document. Hyperlinks are not:
 * a document full of ordinary links is normal, unless a link uses a scheme that runs something.
 */
const LOADED_WHEN_OPENED = /\/(?:attachedTemplate|oleObject|frame|subDocument|externalLinkPath)"?$/i;
const RUNS_SOMETHING = /^(?:mhtml:|ms-msdt:|search-ms:|ms-officecmd:)/i;

/**
 * An element's name as a namespace-aware parser reads it: with whatever prefix the document binds
 * to the namespace (`w:` by convention; `ns0:` from some generators), or none.
 */
const PREFIX = String.raw`(?:[\w.-]+:)?`;

/**
 * Whether a target lies on another machine: a URL, a UNC path (`\\host\share`, which also
 * sends the user's NTLM hash), or `file://host/…`. A template or linked file on the author's own
 * disk (`file:///C:\Users\…\Templates\Letter.dotm`, `C:\…`) is what Word writes for documents
 * made from a local template: it loads nothing from outside.
 */
function onAnotherMachine(target: string): boolean {
  if (/^(?:https?|ftps?|webdavs?):/i.test(target)) return true;
  if (/^(?:\\\\|\/\/)/.test(target)) return true;
  const file = /^file:([\\/]*)(.*)$/is.exec(target);
  if (file === null) return false;
  const slashes = file[1]!.length;
  const rest = file[2]!;
  if (slashes >= 4 || /^[\\/]{2}/.test(rest)) return true;
  // file://HOST/…; file://C:/… and file://localhost/… are this machine.
  return slashes === 2 && !/^(?:localhost[\\/]|[a-z][:|])/i.test(rest);
}

/**
 * A link to a program on the user's own disk (`file:///C:/Windows/System32/cmd.exe`), or one
 * named bare, found on the PATH (`powershell.exe`: the target of PowerPoint's mouse-over
 * `ppaction://program` droppers). A URL of another scheme is a page or a download, not a launch.
 */
function launches(target: string): boolean {
  if (!/^(?:file:|[a-z]:[\\/])/i.test(target) && /^[a-z][a-z\d+.-]*:/i.test(target)) return false;
  const { extension } = analyzeName(lastComponent(target.replace(/[?#].*$/s, '')));
  return extension !== undefined && EXECUTABLE_EXTENSIONS.has(extension);
}

const RELATIONSHIP = new RegExp(String.raw`<${PREFIX}Relationship\b[^>]*>`, 'gi');

/** The first relationship in a .rels part that loads or runs something from outside, as text. */
function externalRelationship(xml: string): string | undefined {
  for (const element of xml.match(RELATIONSHIP) ?? []) {
    if (!/TargetMode\s*=\s*["']External["']/i.test(element)) continue;
    const type = /\bType\s*=\s*["']([^"']*)["']/i.exec(element)?.[1] ?? '';
    // As Office reads it: character references decoded (`&#x6D;s-msdt:` is ms-msdt:).
    const target = decodeReferences(/\bTarget\s*=\s*["']([^"']*)["']/i.exec(element)?.[1] ?? '').trim();
    const remote = onAnotherMachine(target);
    // Loaded when the document opens, from elsewhere; or a link whose click runs something, or
    // opens a share on another machine (\\host, file://host: the user's NTLM hash goes along).
    const loaded = LOADED_WHEN_OPENED.test(type) && remote;
    const runs =
      RUNS_SOMETHING.test(target) || (remote && /^(?:file:|\\\\|\/\/)/i.test(target)) || launches(target);
    if (loaded || runs) return element.slice(0, 200);
  }
  return undefined;
}

/**
 * Office parts where a DDE call is written: Word's fields (body, headers, footers, notes), and
 * Excel's external links. They are read from their start to the markup bound.
 */
const DDE_PART =
  /^(?:word\/(?:document|header\d*|footer\d*|footnotes|endnotes|glossary\/document)\.xml|xl\/externalLinks\/externalLink\d*\.xml)$/i;

/** Whether an entry is a part where Word writes fields or Excel its external links. */
export const isDdePart = (path: string): boolean => DDE_PART.test(innermostPath(path));

/** An attribute's value in either quote. (Names and values below match by case, as XML's do.) */
const VALUE = String.raw`\s*=\s*(?:"([^"]*)"|'([^']*)')`;
const SIMPLE_FIELD = new RegExp(String.raw`<${PREFIX}fldSimple\b[^>]*?\s${PREFIX}instr${VALUE}`, 'g');
const FIELD_PARTS = new RegExp(
  String.raw`<${PREFIX}fldChar\b[^>]*?\s${PREFIX}fldCharType\s*=\s*["']?(begin|end)["']?` +
    String.raw`|<${PREFIX}instrText\b[^>]*>((?:[^<]|<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->)*)<\/${PREFIX}instrText>`,
  'g',
);
/** A text node as a parser hands it on: CDATA sections unwrapped, comments gone. */
const textContent = (xml: string): string =>
  xml.includes('<!')
    ? xml.replace(/<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->/g, (_all, cdata?: string) => cdata ?? '')
    : xml;
const DDE_LINK = new RegExp(String.raw`<${PREFIX}ddeLink\b[^>]*>`);

/**
 * The code of each Word field as Word evaluates it: a simple field's w:instr, or a complex
 * field's w:instrText runs joined (Word splits them, and so do attackers: `DD` + `EAUTO`), nested
 * fields inside it included, and a `QUOTE 68 68 69` field replaced by the characters it spells.
 */
function fieldCodes(xml: string): string[] {
  const codes: string[] = [];
  for (const match of xml.matchAll(SIMPLE_FIELD)) codes.push(match[1] ?? match[2]!);
  let depth = 0;
  let code = '';
  for (const match of xml.matchAll(FIELD_PARTS)) {
    if (match[1] === 'begin') {
      depth++;
      code += ' ';
    } else if (match[1] !== undefined) {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && code.trim() !== '') {
        codes.push(code);
        code = '';
      }
    } else if (depth > 0) code += textContent(match[2]!);
  }
  if (code.trim() !== '') codes.push(code); // a field cut off by the markup bound
  return codes.map((text) =>
    decodeReferences(text).replace(/\bQUOTE((?:\s+\d{1,3})+)/gi, (_whole, numbers: string) =>
      numbers
        .trim()
        .split(/\s+/)
        .map((n) => String.fromCharCode(Number(n)))
        .join(''),
    ),
  );
}

const isExcelPart = (path: string): boolean => /^xl\//i.test(innermostPath(path));

/** A DDE call in a Word or Excel part, as text; undefined when there is none. */
function ddeCall(path: string, xml: string): string | undefined {
  if (isExcelPart(path)) return DDE_LINK.exec(xml)?.[0].slice(0, 200);
  const field = fieldCodes(xml).find((text) => /(?:^|[\s"{])DDE(?:AUTO)?\s/i.test(`${text} `));
  return field?.trim().replace(/\s+/g, ' ').slice(0, 200);
}

const FLD = Buffer.from('fld');

/**
 * Whether a part's bytes name an element a DDE call needs: Word's w:fldChar (a complex field
 * begins with one) or w:fldSimple, Excel's ddeLink. XML names match by case and are written as
 * they are in UTF-8, so most parts, which have no field or link, are not decoded. Word's names
 * are found by their common `fld`: a search for a short needle that is rare in text runs several
 * times faster than one for each whole name, which ends in a letter text is full of.
 */
function mayHoldDde(path: string, bytes: Buffer): boolean {
  if (isExcelPart(path)) return bytes.includes('ddeLink');
  for (let at = bytes.indexOf(FLD); at !== -1; at = bytes.indexOf(FLD, at + FLD.length)) {
    const rest = bytes.toString('latin1', at + FLD.length, at + FLD.length + 6);
    if (rest.startsWith('Char') || rest === 'Simple') return true;
  }
  return false;
}

/** Look at the start of a Word field part or Excel link part (up to maxMarkupBytes) for a DDE call. */
export function scanDdePart(ctx: ArchiveContext, entry: ArchiveEntryFacts, start: Buffer): void {
  const bytes = start.subarray(0, ctx.limits.maxMarkupBytes);
  if (!mayHoldDde(entry.path, bytes)) return;
  const call = ddeCall(entry.path, bytes.toString('utf8'));
  if (call) ctx.active.push({ kind: 'office-dde', where: entry.path, sample: call });
}

/**
 * An Excel formula that calls a program through DDE (`cmd|' /c calc'!A0`): application `|` topic
 * `!` item. `|` is no operator in formulas; inside a string it follows a quote, not a name.
 */
const DDE_FORMULA = new RegExp(
  String.raw`<${PREFIX}f\b[^>]*>(?:[^<]*?[=+\-*/(,&\s])?[a-z][\w.]*\|(?:'[^'<]*'|[^\s!'"<]+)![^<]*<\/${PREFIX}f>`,
  'i',
);
const SHEET_PART = /^xl\/worksheets\/sheet\d*\.xml$/i;

/** Parts a document format parses as XML (OOXML, ODF, EPUB, XPS): where a DOCTYPE can declare entities. */
const XML_PART = /\.(?:xml|rels|xsl|xslt|opf|ncx|xhtml|fdoc|fpage|vml)$/i;

/**
 * Look at the head of an entry read from an archive (`detected`, what it was detected as): a
 * binary file (an image, a PDF) with server code or a script in it is the polyglot a top-level
 * upload would be flagged for, unpacked into the folder; an XML part that declares external
 * entities is an XXE against whatever parses the document (converters, previewers, import
 * features). The DOCTYPE comes first in a document, so the head shows it.
 */
export function scanEntryHead(
  ctx: ArchiveContext,
  entry: ArchiveEntryFacts,
  head: Buffer,
  detected: DetectedType | undefined,
): void {
  // The EICAR test file zipped (eicar_com.zip) is the usual second probe of a malware scan.
  const test = entry.declaredSize <= 128 ? eicar(head, entry.path) : undefined;
  if (test) ctx.active.push(test);
  // An image or PDF (or bytes of no known type) with code in it. Text is judged by its name and
  // type; compiled code and other binaries carry markup as data (a Swing label's `<html>`).
  const carrier = detected === undefined || typeClassOf(detected.ext) === 'image' || detected.ext === 'pdf';
  if (carrier && mayHoldCode(head)) for (const hit of scanBinary(head, entry.path)) ctx.active.push(hit);
  // A sheet is judged by its head: sheets run long, and the DDE cell of a maldoc comes first.
  if (SHEET_PART.test(innermostPath(entry.path)) && head.includes('|')) {
    const formula = DDE_FORMULA.exec(head.toString('utf8'));
    if (formula) ctx.active.push({ kind: 'office-dde', where: entry.path, sample: formula[0].slice(0, 200) });
  }
  if (!XML_PART.test(entry.path) || !head.includes('<!')) return;
  const text = head.toString('utf8');
  const hit = externalEntity(text, entry.path);
  if (hit) ctx.active.push(hit);
  const bomb = entityExpansion(text, entry.path);
  if (bomb) ctx.active.push(bomb);
}

export type NestedFormat = 'zip' | 'tar' | 'cab' | 'rar' | StreamFormat;
/** Archives that are one compressed stream: of a tar, or of one file named after the archive. */
export type StreamFormat = 'gzip' | 'xz';

/** The archive format a detected type opens as, if any. */
/**
 * Formats that are zips inside: Office (macro-enabled and template forms too: a .xlsm is exactly
 * where macros are), OpenDocument, EPUB, Java and Android packages.
 */
const ZIP_BASED = new Set([
  'zip',
  'docx',
  'xlsx',
  'pptx',
  'docm',
  'xlsm',
  'pptm',
  'dotx',
  'dotm',
  'xltx',
  'xltm',
  'potx',
  'potm',
  'ppsx',
  'ppsm',
  'xlam',
  'ppam',
  'sldm',
  'odt',
  'ods',
  'odp',
  'odg',
  'ott',
  'epub',
  'jar',
  'apk',
  'xpi',
  'vsdx',
]);

export function nestedFormat(detected: DetectedType | undefined): NestedFormat | undefined {
  if (!detected) return undefined;
  if (ZIP_BASED.has(detected.ext)) return 'zip';
  if (detected.ext === 'tar') return 'tar';
  if (detected.ext === 'gz' || detected.ext === 'tar.gz') return 'gzip';
  if (detected.ext === 'xz') return 'xz';
  if (detected.ext === 'cab') return 'cab';
  if (detected.ext === 'rar') return 'rar';
  return undefined;
}

export type OpenNested = (
  bytes: Buffer,
  format: NestedFormat,
  depth: number,
  prefix: string,
) => Promise<void>;

/** An OLE object an Office file embeds (word/embeddings/oleObject1.bin): a Compound File that may package a file. */
const isOleEmbedding = (path: string, detected: DetectedType | undefined): boolean =>
  detected?.ext === 'cfb' && /(?:^|\/)embeddings\/[^/]+\.bin$/i.test(innermostPath(path));

/**
 * Whether an entry's bytes are read whole to look inside it: a nested archive, or an OLE object
 * an Office file embeds, small enough (maxNestedArchiveBytes) to hold in memory.
 */
export const opensInside = (
  entry: ArchiveEntryFacts,
  detected: DetectedType | undefined,
  limits: Limits,
): boolean =>
  (nestedFormat(detected) !== undefined || isOleEmbedding(entry.path, detected)) &&
  entry.declaredSize <= limits.maxNestedArchiveBytes;

/**
 * The file an embedded OLE Package object wraps, listed as an entry of its own inside it
 * (`report.docx!word/embeddings/oleObject1.bin!invoice.pdf.exe`): the name and content rules
 * judge it as any archive entry.
 */
async function listPackagedFile(ctx: ArchiveContext, entry: ArchiveEntryFacts, bytes: Buffer): Promise<void> {
  const cfb = await openCfb(new MemoryBytes(bytes));
  if (cfb) await addPackagedFile(ctx, cfb, `${entry.path}!`, entry.depth + 1);
}

/**
 * Add the file an OLE Package object in `cfb` wraps (if any) as an entry named `prefix` + its
 * label, its head judged as any entry's.
 */
export async function addPackagedFile(
  ctx: ArchiveContext,
  cfb: CfbFile,
  prefix: string,
  depth: number,
): Promise<void> {
  const packaged = await packagedFile(cfb, ctx.limits.maxSniffBytes);
  if (!packaged || packaged.name === '') return;
  const facts: ArchiveEntryFacts = {
    path: prefix + packaged.name,
    kind: 'file',
    declaredSize: packaged.size,
    depth,
  };
  if (!ctx.add(facts) || packaged.head.length === 0) return;
  const detected = await detectType(packaged.head);
  scanEntryHead(ctx, facts, packaged.head, detected);
  if (detected) facts.detected = detected;
}

/**
 * Read one entry's bytes from `chunks`: keep its head for detection, keep all of it when it is an
 * archive (or an embedded OLE object) small enough to open, count everything against the budget,
 * then open nested archives, or list the file an OLE object packages.
 */
export async function readEntryContent(
  ctx: ArchiveContext,
  entry: ArchiveEntryFacts,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  openNested: OpenNested,
  stop: () => void,
): Promise<void> {
  const { maxSniffBytes, maxNestedArchiveBytes, maxArchiveDepth, maxMarkupBytes } = ctx.limits;
  // A relationship or DDE part is kept (up to the markup bound) for what it loads or runs.
  const calling = entry.path.toLowerCase().endsWith('.rels') || isDdePart(entry.path);
  const keepUpTo = calling ? maxMarkupBytes : maxNestedArchiveBytes;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  let keepAll = true;
  let detected: DetectedType | undefined;
  for await (const chunk of chunks) {
    total += chunk.length;
    ctx.consumed += chunk.length;
    if (keepAll) {
      kept.push(chunk);
      keptBytes += chunk.length;
      if (detected === undefined && keptBytes >= maxSniffBytes) {
        const head = Buffer.concat(kept).subarray(0, maxSniffBytes);
        detected = await detectType(head);
        scanEntryHead(ctx, entry, head, detected);
        keepAll = calling || opensInside(entry, detected, ctx.limits);
      }
      if (keptBytes > keepUpTo) keepAll = false;
      if (!keepAll && detected !== undefined && !calling) kept.splice(0);
    }
    if (ctx.budgetLeft <= 0) {
      ctx.hit('maxInflateBytes', 'archive entries past the inflate budget were not read');
      stop();
      entry.actualSize = total;
      return;
    }
  }
  entry.actualSize = total;
  if (kept.length > 0 && calling) {
    const start = Buffer.concat(kept);
    if (isDdePart(entry.path)) scanDdePart(ctx, entry, start);
    else {
      const hit = externalRelationship(start.subarray(0, maxMarkupBytes).toString('utf8'));
      if (hit) ctx.active.push({ kind: 'office-external', where: entry.path, sample: hit });
    }
  }
  if (detected === undefined && keptBytes > 0) {
    const head = Buffer.concat(kept).subarray(0, maxSniffBytes);
    detected = await detectType(head);
    scanEntryHead(ctx, entry, head, detected);
  }
  if (detected) entry.detected = detected;
  if (isOleEmbedding(entry.path, detected) && kept.length > 0 && keepAll)
    return listPackagedFile(ctx, entry, Buffer.concat(kept));
  const format = nestedFormat(detected);
  if (!format || kept.length === 0) return;
  if (entry.depth > maxArchiveDepth) {
    ctx.tooDeep.push(entry.path);
    ctx.hit('maxArchiveDepth', `archives nested deeper than ${maxArchiveDepth} were not opened`);
    return;
  }
  await openNested(Buffer.concat(kept), format, entry.depth + 1, `${entry.path}!`);
}
