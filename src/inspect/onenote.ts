/**
 * OneNote sections (.one): the files a note embeds, listed as the entries of an archive.
 *
 * A note can hold any file as an attachment shown as an icon, and a double-click runs it: the
 * droppers of 2023 hid an .hta, .cmd or .exe behind a fake "click to view" button. Each attached
 * file's bytes sit in a FileDataStoreObject (MS-ONESTORE 2.6.13), found by its header GUID; its
 * name is a property stored as UTF-16 text with its byte length before it. Names and data are
 * not tied together here (that takes the whole object space): each is listed as an entry of its
 * own, the data by its position (`#1`, judged by its head), the names as written.
 */
import type { ArchiveEntryFacts, ByteSource } from '../model/types.js';
import { ArchiveContext, scanEntryHead } from './archive/context.js';
import type { ArchiveResult } from './archive/index.js';
import { detectType } from './detect.js';
import type { Limits } from './limits.js';
import { overlappingPieces } from './read.js';

/** {7B5C52E4-D88C-4DA7-AEB1-5378D02996D3}: a revision-store file of a OneNote section. */
const SECTION = Buffer.from('e4525c7b8cd8a74daeb15378d02996d3', 'hex');
/** {BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}: the header of a FileDataStoreObject. */
const FILE_DATA = Buffer.from('e716e3bd65261145a4c48d4d0b7a9eac', 'hex');
/** The GUID, cbLength (8), unused (4), reserved (8): where the file's bytes begin. */
const FILE_DATA_HEADER_BYTES = 36;

const PIECE_BYTES = 1024 * 1024;
const OVERLAP_BYTES = 512;

/** Whether bytes start like a OneNote section. */
export const isOneNote = (head: Uint8Array): boolean =>
  head.length >= SECTION.length && SECTION.equals(head.subarray(0, SECTION.length));

/**
 * A name as OneNote stores an attachment's: UTF-16LE, its byte length in the four bytes before
 * it, nothing a Windows file name cannot hold, and an extension.
 */
const UTF16_NAME = /(?:[^\0-\x1f\\/:*?"<>|]\0){1,255}/g;
const FILE_NAME = /^[^\\/:*?"<>|\0-\x1f]{1,251}\.[A-Za-z0-9]{1,8}$/;

function namesIn(bytes: Buffer): string[] {
  const names: string[] = [];
  const text = bytes.toString('latin1');
  for (const match of text.matchAll(UTF16_NAME)) {
    const at = match.index;
    if (at < 4 || bytes.readUInt32LE(at - 4) !== match[0].length) continue;
    const name = bytes.toString('utf16le', at, at + match[0].length);
    if (FILE_NAME.test(name)) names.push(name);
  }
  return names;
}

/**
 * The files a OneNote section embeds, as archive entries; undefined when it embeds none. Reads
 * the section in pieces up to maxInflateBytes (the bound on bytes read from a container's
 * entries), and each embedded file's head.
 */
export async function oneNoteArchive(source: ByteSource, limits: Limits): Promise<ArchiveResult | undefined> {
  const ctx = new ArchiveContext(limits);
  const end = Math.min(source.size, limits.maxInflateBytes);
  if (source.size > end)
    ctx.hit('maxInflateBytes', `only the first ${end} bytes of the section were searched for attachments`);
  const blobs = new Map<number, number>();
  const names = new Set<string>();
  for await (const { piece, start } of overlappingPieces(source, end, PIECE_BYTES, OVERLAP_BYTES)) {
    for (let at = piece.indexOf(FILE_DATA); at !== -1; at = piece.indexOf(FILE_DATA, at + 1)) {
      // A header cut by the piece's end is read whole from the next, which overlaps it.
      if (at + FILE_DATA.length + 8 <= piece.length && blobs.size < limits.maxArchiveEntries)
        blobs.set(start + at + FILE_DATA_HEADER_BYTES, Number(piece.readBigUInt64LE(at + FILE_DATA.length)));
    }
    // No more names than entries are listed: a section forged full of them holds no memory.
    for (const name of namesIn(piece)) if (names.size < limits.maxArchiveEntries) names.add(name);
  }
  if (blobs.size === 0) return undefined;
  let index = 0;
  for (const [at, declared] of blobs) {
    // Stored as they are, in this file: a length past its end is a corrupt one, not a bomb.
    const size = Math.max(0, Math.min(declared, source.size - at));
    const facts: ArchiveEntryFacts = {
      path: `#${++index}`,
      kind: 'file',
      declaredSize: size,
      compressedSize: size,
      depth: 1,
    };
    if (!ctx.add(facts)) break;
    const head = await source.read(at, Math.min(size, limits.maxSniffBytes));
    const detected = head.length === 0 ? undefined : await detectType(head);
    if (detected) facts.detected = detected;
    scanEntryHead(ctx, facts, head, detected);
  }
  ctx.addNames(names);
  return { facts: ctx.facts('onenote'), ctx };
}
