import { inflateRawSync } from 'node:zlib';
import { fileTypeFromBuffer } from 'file-type';
import type { DetectedType } from '../model/types.js';
import { classifyText, looksLikeText, sniffText, TEXT_SNIFF_BYTES } from './sniff.js';

const sig = (ext: string, mime: string): DetectedType => ({ ext, mime, source: 'signature' });

const startsWith = (head: Uint8Array, bytes: readonly number[], at = 0): boolean =>
  bytes.every((b, i) => head[at + i] === b);

const JPEG = sig('jpg', 'image/jpeg');
const PNG = sig('png', 'image/png');
const GIF = sig('gif', 'image/gif');
const PDF = sig('pdf', 'application/pdf');
const WEBP = sig('webp', 'image/webp');
const ZIP = sig('zip', 'application/zip');

/** The formats most uploads are, checked before file-type because they are most of the work. */
function commonSignature(head: Uint8Array): DetectedType | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return JPEG;
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return PNG;
  if (
    startsWith(head, [0x47, 0x49, 0x46, 0x38]) &&
    (head[4] === 0x37 || head[4] === 0x39) &&
    head[5] === 0x61
  ) {
    return GIF;
  }
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) return PDF;
  if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)) {
    return WEBP;
  }
  if (plainZip(head)) return ZIP;
  return openXmlByContentTypes(head);
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;

/** Entry names that make file-type call a zip something else (OOXML, ODF, EPUB, JAR, XPI, APK, 3MF). */
const meaningfulZipName = (name: string): boolean =>
  name === '[Content_Types].xml' ||
  name === 'mimetype' ||
  name.startsWith('META-INF/') ||
  name.startsWith('word/') ||
  name.startsWith('ppt/') ||
  name.startsWith('xl/') ||
  name.startsWith('3D/') ||
  /classes\d*\.dex/.test(name);

/**
 * A zip that file-type would call plain `zip`: its local headers, as far as the head goes, name
 * nothing that marks a zip-based format, and nothing needs file-type's own judgement (data
 * descriptors, zip64 sizes, unexpected records). Anything else goes to file-type, so the verdict is
 * always the one file-type gives, only cheaper for the common case.
 */
function plainZip(head: Uint8Array): boolean {
  if (head.length < 30) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (view.getUint32(0, true) !== LOCAL_HEADER) return false;
  let at = 0;
  while (at + 30 <= head.length) {
    const signature = view.getUint32(at, true);
    if (signature === CENTRAL_HEADER) return true;
    if (signature !== LOCAL_HEADER) return false;
    const flags = view.getUint16(at + 6, true);
    const compressed = view.getUint32(at + 18, true);
    if ((flags & 0x08) !== 0 || compressed === 0xffffffff) return false;
    const nameLength = view.getUint16(at + 26, true);
    const extraLength = view.getUint16(at + 28, true);
    if (at + 30 + nameLength > head.length) return false;
    const name = Buffer.from(head.buffer, head.byteOffset + at + 30, nameLength).toString('utf8');
    if (meaningfulZipName(name)) return false;
    at += 30 + nameLength + extraLength + compressed;
  }
  // The head ends inside the next entry: file-type stops there too and says `zip`.
  return true;
}

/**
 * The types an Office Open XML package's [Content_Types].xml names (its main part's content type
 * without `.main+xml`, lower-cased), with the extension and MIME type file-type gives each.
 */
const OPEN_XML_TYPES = new Map<string, DetectedType>(
  (
    [
      ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
      [
        'application/vnd.ms-word.document.macroenabled',
        'docm',
        'application/vnd.ms-word.document.macroenabled.12',
      ],
      ['application/vnd.openxmlformats-officedocument.wordprocessingml.template', 'dotx'],
      [
        'application/vnd.ms-word.template.macroenabledtemplate',
        'dotm',
        'application/vnd.ms-word.template.macroenabled.12',
      ],
      ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
      [
        'application/vnd.ms-excel.sheet.macroenabled',
        'xlsm',
        'application/vnd.ms-excel.sheet.macroenabled.12',
      ],
      ['application/vnd.openxmlformats-officedocument.spreadsheetml.template', 'xltx'],
      [
        'application/vnd.ms-excel.template.macroenabled',
        'xltm',
        'application/vnd.ms-excel.template.macroenabled.12',
      ],
      ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'pptx'],
      [
        'application/vnd.ms-powerpoint.presentation.macroenabled',
        'pptm',
        'application/vnd.ms-powerpoint.presentation.macroenabled.12',
      ],
      ['application/vnd.openxmlformats-officedocument.presentationml.template', 'potx'],
      [
        'application/vnd.ms-powerpoint.template.macroenabled',
        'potm',
        'application/vnd.ms-powerpoint.template.macroenabled.12',
      ],
      ['application/vnd.openxmlformats-officedocument.presentationml.slideshow', 'ppsx'],
      [
        'application/vnd.ms-powerpoint.slideshow.macroenabled',
        'ppsm',
        'application/vnd.ms-powerpoint.slideshow.macroenabled.12',
      ],
      ['application/vnd.ms-visio.drawing', 'vsdx', 'application/vnd.visio'],
    ] as const
  ).map(([key, ext, mime]: readonly string[]) => [key!, sig(ext!, mime ?? key!)]),
);
const THREE_MF = 'application/vnd.ms-package.3dmanufacturing-3dmodel+xml';
const CONTENT_TYPES = '[Content_Types].xml';
/** Larger content-type lists are left to file-type (a real one is a few KiB). */
const MAX_CONTENT_TYPES_BYTES = 1024 * 1024;

/**
 * An Office package whose first entry is its [Content_Types].xml, whole within the head (as Word,
 * Excel, PowerPoint and LibreOffice write them): its type, read the way file-type reads it (the
 * main part's content type). file-type inflates that entry through a DecompressionStream, a round
 * trip through the thread pool that was most of what an Office upload cost; here it is one
 * synchronous inflate of a few hundred bytes. Any other layout, and any type this table does not
 * know, goes to file-type.
 */
function openXmlByContentTypes(head: Uint8Array): DetectedType | undefined {
  if (head.length < 30) return undefined;
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (bytes.readUInt32LE(0) !== LOCAL_HEADER) return undefined;
  const flags = bytes.readUInt16LE(6);
  const method = bytes.readUInt16LE(8);
  const compressed = bytes.readUInt32LE(18);
  const declared = bytes.readUInt32LE(22);
  const nameLength = bytes.readUInt16LE(26);
  const start = 30 + nameLength + bytes.readUInt16LE(28);
  if ((flags & 0x08) !== 0 || (method !== 0 && method !== 8)) return undefined;
  if (bytes.toString('latin1', 30, 30 + nameLength) !== CONTENT_TYPES) return undefined;
  if (start + compressed > bytes.length || declared > MAX_CONTENT_TYPES_BYTES) return undefined;
  const data = bytes.subarray(start, start + compressed);
  let xml: string;
  try {
    xml = (method === 0 ? data : inflateRawSync(data, { maxOutputLength: MAX_CONTENT_TYPES_BYTES })).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
  const end = xml.indexOf('.main+xml"');
  if (end === -1) return xml.includes(`ContentType="${THREE_MF}"`) ? sig('3mf', 'model/3mf') : undefined;
  const before = xml.slice(0, end);
  return OPEN_XML_TYPES.get(before.slice(before.lastIndexOf('"') + 1).toLowerCase());
}

const REPLACEMENT = Buffer.from('\ufffd');
const TIFF: DetectedType = { ext: 'tif', mime: 'image/tiff', source: 'signature' };

/** `II*\0` or `MM\0*`, then a first-directory offset past the header. */
function isTiffHeader(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  const little = head[0] === 0x49 && head[1] === 0x49 && head[2] === 0x2a && head[3] === 0;
  const big = head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && head[3] === 0x2a;
  if (!little && !big) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return view.getUint32(4, little) >= 8;
}

/**
 * The head as UTF-8, when it is UTF-16 text with a byte order mark (FF FE or FE FF) that decodes
 * to text; undefined otherwise.
 */
function utf16Text(head: Uint8Array): Buffer | undefined {
  if (head.length < 4) return undefined;
  const le = head[0] === 0xff && head[1] === 0xfe;
  const be = head[0] === 0xfe && head[1] === 0xff;
  if (!le && !be) return undefined;
  const body = Buffer.from(head.subarray(2, 2 + ((head.length - 2) & ~1)));
  if (be) body.swap16();
  const text = Buffer.from(body.toString('utf16le'), 'utf8');
  // Random bytes after FF FE (an MPEG audio frame) decode to lone surrogates, written as U+FFFD.
  if (text.includes(REPLACEMENT)) return undefined;
  return looksLikeText(text.subarray(0, TEXT_SNIFF_BYTES)) ? text : undefined;
}

/** What `detectKnown` returns when only file-type can tell. */
export const NEEDS_FILE_TYPE = Symbol('needs file-type');

/**
 * The synchronous part of detection: common signatures, then text sniffing. Most files end
 * here; the rest (NEEDS_FILE_TYPE) go to `detectType`, which awaits file-type.
 */
export function detectKnown(head: Uint8Array): DetectedType | undefined | typeof NEEDS_FILE_TYPE {
  if (head.length === 0) return undefined;
  const common = commonSignature(head);
  if (common) return common;
  // A TIFF's signature is in its first bytes; file-type also wants the first directory, which
  // may lie at the end of the file, past the head: a valid TIFF would read as unrecognized.
  if (isTiffHeader(head)) return TIFF;
  // UTF-16 text with its byte order mark: FF FE looks like an MPEG audio frame to file-type.
  const utf16 = utf16Text(head);
  if (utf16) return classifyText(utf16);
  // file-type knows binary signatures only; text goes straight to our own sniffing.
  if (looksLikeText(head.subarray(0, TEXT_SNIFF_BYTES))) return classifyText(head);
  return NEEDS_FILE_TYPE;
}

/** Detect a content type from the head bytes alone: signatures first, then text sniffing. */
export async function detectType(head: Uint8Array): Promise<DetectedType | undefined> {
  const known = detectKnown(head);
  return known === NEEDS_FILE_TYPE ? detectWithFileType(head) : known;
}

const GAB2 = Buffer.from('GAB2\0');
const EXTM3U = Buffer.from('#EXTM3U');
const PLAYLIST = sig('m3u8', 'application/vnd.apple.mpegurl');

/**
 * An AVI whose GAB2 subtitle packet holds an HLS playlist (the `00tx` chunk of ffmpeg's
 * CVE-2017-9993 exploits, AVI+M3U+XBIN): ffmpeg probes a GAB2 payload for its format and opens
 * the playlist, which reads local files into the thumbnail. To the converter the file is a
 * playlist, whatever its container says.
 */
function playlistInAvi(head: Uint8Array): boolean {
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const gab2 = bytes.indexOf(GAB2);
  return gab2 >= 0 && bytes.indexOf(EXTM3U, gab2) >= 0;
}

/** The verdict for a head `detectKnown` left to file-type (it has already ruled out the rest). */
export async function detectWithFileType(head: Uint8Array): Promise<DetectedType | undefined> {
  const found = await fileTypeFromBuffer(head);
  if (found?.ext === 'avi' && playlistInAvi(head)) return PLAYLIST;
  if (found && found.ext !== 'xml') return sig(found.ext, found.mime);
  return sniffText(head) ?? (found && sig(found.ext, found.mime));
}
