/**
 * Microsoft Cabinet (.cab) archives, listed by their file table: names and sizes, the data not
 * inflated (MSZIP, LZX, Quantum). What a CAB can do to whoever expands it is in its names: the
 * MSHTML exploit of 2021 (CVE-2021-40444) shipped a CAB whose entry climbed out with `..\`.
 */
import type { ArchiveEntryFacts, ByteSource } from '../../model/types.js';
import type { ArchiveContext } from './context.js';

const HEADER_BYTES = 36;
/** A CFFILE record before its name: size, folder offset, folder, date, time, attributes. */
const FILE_RECORD_BYTES = 16;
/** Attribute bit: the name is UTF-8 (else the OEM code page; ASCII names read the same). */
const NAME_IS_UTF = 0x80;
/** Longest name a CAB may hold (CB_MAX_FILENAME), and its NUL. */
const MAX_NAME_BYTES = 257;

/**
 * List the entries of the cabinet in `source` into `ctx`, their paths with `/` for the `\` CAB
 * writes between folders (so `..\` is judged as `../`). Throws when the file table is cut short.
 */
export async function walkCab(
  source: ByteSource,
  ctx: ArchiveContext,
  depth: number,
  prefix: string,
): Promise<void> {
  const header = await source.read(0, HEADER_BYTES);
  if (header.length < HEADER_BYTES || header.toString('latin1', 0, 4) !== 'MSCF')
    throw new Error('not a cabinet (no MSCF header)');
  const filesAt = header.readUInt32LE(16);
  const count = header.readUInt16LE(28);
  const table = await source.read(filesAt, count * (FILE_RECORD_BYTES + MAX_NAME_BYTES));
  for (let i = 0, at = 0; i < count; i++) {
    const nameEnd = table.indexOf(0, at + FILE_RECORD_BYTES);
    if (at + FILE_RECORD_BYTES > table.length || nameEnd < 0)
      throw new Error(`the file table ends after ${i} of its ${count} entries`);
    const utf8 = (table.readUInt16LE(at + 14) & NAME_IS_UTF) !== 0;
    const name = table.toString(utf8 ? 'utf8' : 'latin1', at + FILE_RECORD_BYTES, nameEnd);
    const entry: ArchiveEntryFacts = {
      path: prefix + name.replaceAll('\\', '/'),
      kind: 'file',
      declaredSize: table.readUInt32LE(at),
      depth,
    };
    if (!ctx.add(entry)) return;
    at = nameEnd + 1;
  }
}
