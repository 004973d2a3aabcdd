/**
 * Mail saved as a file (.eml, RFC 5322 with MIME parts): a message uploaded with a help-desk
 * ticket brings its own attachments (the invoice.pdf.exe a phishing mail carries). Each part's
 * Content-Disposition `filename` (else its Content-Type `name`) is listed as an archive entry, by
 * name; the parts' data is not decoded. Read in pieces up to maxInflateBytes, the bound on bytes
 * read from a container's entries.
 */

import type { ByteSource } from '../model/types.js';
import { ArchiveContext } from './archive/context.js';
import type { ArchiveResult } from './archive/index.js';
import type { Limits } from './limits.js';
import { overlappingPieces } from './read.js';

/** Header fields a message starts with (after any `From ` line of an mbox). */
const FIELD = /^[A-Za-z][A-Za-z0-9-]*:[ \t]/;
const PIECE_BYTES = 1024 * 1024;
/** A part's header fields never run this long; pieces overlap by it so none is cut in two. */
const OVERLAP_BYTES = 8192;

/** Whether a text head is a MIME message: header fields from the first line, a MIME-Version among them. */
export function isMimeMessage(head: Uint8Array): boolean {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
  // Most text is no message from its first bytes: decided before the head is cut into lines.
  if (!FIELD.test(text) && !text.startsWith('From ')) return false;
  const lines = text.replace(/^From [^\n]*\n/, '').split(/\r?\n/, 64);
  const headerEnd = lines.indexOf('');
  const header = lines.slice(0, headerEnd < 0 ? lines.length : headerEnd);
  return (
    header.length > 0 &&
    FIELD.test(header[0]!) &&
    header.every((line) => FIELD.test(line) || /^[ \t]/.test(line)) &&
    header.some((line) => /^MIME-Version:/i.test(line))
  );
}

/** RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?ISO-8859-1?Q?…?=`) decoded; others left as written. */
function decodeWords(text: string): string {
  return text.replace(
    /=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi,
    (word, charset: string, encoding: string, data: string) => {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9a-f]{2})/gi, (_, hex: string) =>
                  String.fromCharCode(Number.parseInt(hex, 16)),
                ),
              'latin1',
            );
      return /^utf-?8$/i.test(charset)
        ? bytes.toString('utf8')
        : /^(?:iso-8859-1|us-ascii|latin1)$/i.test(charset)
          ? bytes.toString('latin1')
          : word;
    },
  );
}

/** RFC 2231 `filename*=UTF-8''inv%C3%B6ice.pdf`. */
function decodeExtended(value: string): string {
  const m = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!m) return value;
  const bytes = Buffer.from(
    m[2]!.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
  return /^utf-?8$/i.test(m[1]!) ? bytes.toString('utf8') : bytes.toString('latin1');
}

/** A parameter of a header field's value: quoted, a token, or RFC 2231 extended. */
function parameter(field: string, name: string): string | undefined {
  const extended = new RegExp(String.raw`;\s*${name}\*\s*=\s*"?([^";\r\n]+)`, 'i').exec(field);
  if (extended) return decodeExtended(extended[1]!);
  const plain = new RegExp(String.raw`;\s*${name}\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))`, 'i').exec(field);
  if (!plain) return undefined;
  return decodeWords((plain[1] ?? plain[2]!).replace(/\\(.)/g, '$1'));
}

/** Content-Disposition and Content-Type fields in `text`, their folded lines joined. */
function partFields(text: string): { disposition: string[]; type: string[] } {
  const found = { disposition: [] as string[], type: [] as string[] };
  for (const m of text.matchAll(/^Content-(Disposition|Type):[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim))
    (m[1]!.toLowerCase() === 'type' ? found.type : found.disposition).push(m[0].replace(/\r?\n[ \t]+/g, ' '));
  return found;
}

/** The files a MIME message attaches, as archive entries; undefined when it names none. */
export async function mailAttachments(
  source: ByteSource,
  limits: Limits,
): Promise<ArchiveResult | undefined> {
  const end = Math.min(source.size, limits.maxInflateBytes);
  // The same name from both fields of one part, or from the overlap of two pieces: once.
  const names = new Set<string>();
  for await (const { piece } of overlappingPieces(source, end, PIECE_BYTES, OVERLAP_BYTES)) {
    const { disposition, type } = partFields(piece.toString('latin1'));
    // A part's name: its disposition's filename, else its type's name (older mailers).
    for (const name of [
      ...disposition.map((field) => parameter(field, 'filename')),
      ...type.map((field) => parameter(field, 'name')),
    ])
      if (name && names.size < limits.maxArchiveEntries) names.add(name);
  }
  if (names.size === 0) return undefined;
  const ctx = new ArchiveContext(limits);
  if (source.size > end)
    ctx.hit('maxInflateBytes', `only the first ${end} bytes of the message were read for attachment names`);
  ctx.addNames(names);
  return { facts: ctx.facts('mail'), ctx };
}
