/**
 * The directory of a Compound File (OLE2: .doc, .xls, .ppt, .msg, .msi): the names of its
 * storages and streams, read by following the directory's sector chain through the FAT. A legacy
 * Office file keeps its macros in storages of known names (Word `Macros/VBA`, Excel
 * `_VBA_PROJECT_CUR/VBA`), which only the directory shows: the streams' bytes are scattered
 * over sectors, in no order a head or tail read would see.
 */
import type { ByteSource } from '../model/types.js';

const SIGNATURE = Buffer.from('d0cf11e0a1b11ae1', 'hex');
const HEADER_BYTES = 512;
const ENTRY_BYTES = 128;
/** Sector ids at and past this are markers (free, end of chain, FAT, DIFAT), not sectors. */
const MAX_SECTOR_ID = 0xfffffffa;
/** Header DIFAT: the first 109 FAT sector ids. */
const HEADER_DIFAT_AT = 0x4c;
const HEADER_DIFAT_COUNT = 109;

export interface CfbEntry {
  name: string;
  /** 1 storage, 2 stream, 5 root storage. */
  type: number;
  /** A stream's first sector, and its size in bytes (the low 32 bits, all a version 3 file has). */
  start: number;
  size: number;
}

/** A Compound File's directory, and the start of any of its streams. */
export interface CfbFile {
  entries: CfbEntry[];
  /**
   * The first `max` bytes of a stream, from regular sectors (4,096 bytes and more) or from the
   * mini stream (smaller ones); shorter when its chain breaks, undefined when nothing is read.
   */
  streamStart(entry: CfbEntry, max: number): Promise<Buffer | undefined>;
}

/** Streams smaller than this live in the mini stream, in 64-byte mini sectors. */
const MINI_STREAM_CUTOFF = 4096;

/**
 * The directory of the Compound File `source` holds (at most `maxEntries` entries), and a way to
 * read its streams' starts; undefined when it is not one, or its header is malformed (the
 * caller's other checks still run). Reads the header, the FAT sectors a chain passes through, and
 * the directory: a few reads.
 */
export async function openCfb(source: ByteSource, maxEntries = 4096): Promise<CfbFile | undefined> {
  if (source.size < HEADER_BYTES) return undefined;
  const header = await source.read(0, HEADER_BYTES);
  if (!header.subarray(0, 8).equals(SIGNATURE)) return undefined;
  const shift = header.readUInt16LE(0x1e);
  if (shift !== 9 && shift !== 12) return undefined;
  const sectorBytes = 1 << shift;
  const idsPerSector = sectorBytes / 4;
  const fatSectorCount = header.readUInt32LE(0x2c);
  // The header lists the first 109 FAT sectors; the directory's FAT entries are nearly always
  // among them (a file past ~7 MB with 512-byte sectors may need the DIFAT chain: not read).
  const fatSectors: number[] = [];
  for (let i = 0; i < Math.min(fatSectorCount, HEADER_DIFAT_COUNT); i++)
    fatSectors.push(header.readUInt32LE(HEADER_DIFAT_AT + i * 4));
  const sectorAt = (id: number): number => (id + 1) * sectorBytes;
  const fatCache = new Map<number, Buffer>();
  const next = async (id: number): Promise<number | undefined> => {
    const fatSector = fatSectors[Math.floor(id / idsPerSector)];
    if (fatSector === undefined || fatSector > MAX_SECTOR_ID) return undefined;
    let fat = fatCache.get(fatSector);
    if (fat === undefined) {
      fat = await source.read(sectorAt(fatSector), sectorBytes);
      if (fat.length < sectorBytes) return undefined;
      fatCache.set(fatSector, fat);
    }
    return fat.readUInt32LE((id % idsPerSector) * 4);
  };
  /** The sectors of the chain from `first`, read until `max` bytes; a loop or a sector past the end ends it. */
  const chain = async (first: number, max: number): Promise<Buffer[]> => {
    const sectors: Buffer[] = [];
    const seen = new Set<number>();
    for (
      let id: number | undefined = first, bytes = 0;
      id !== undefined && id <= MAX_SECTOR_ID && bytes < max;
    ) {
      if (seen.has(id) || sectorAt(id) >= source.size) break;
      seen.add(id);
      const sector = await source.read(sectorAt(id), sectorBytes);
      sectors.push(sector);
      bytes += sector.length;
      id = await next(id);
    }
    return sectors;
  };
  const entries: CfbEntry[] = [];
  const directory = await chain(header.readUInt32LE(0x30), maxEntries * ENTRY_BYTES);
  for (const sector of directory) {
    for (let at = 0; at + ENTRY_BYTES <= sector.length && entries.length < maxEntries; at += ENTRY_BYTES) {
      const type = sector[at + 0x42]!;
      const nameBytes = sector.readUInt16LE(at + 0x40);
      if (type === 0 || nameBytes < 2 || nameBytes > 64) continue;
      entries.push({
        name: sector.toString('utf16le', at, at + nameBytes - 2),
        type,
        start: sector.readUInt32LE(at + 0x74),
        size: sector.readUInt32LE(at + 0x78),
      });
    }
  }
  /**
   * A small stream's bytes, from the mini stream: 64-byte mini sectors inside the root entry's
   * own stream, chained by the mini FAT (itself a chain of regular sectors).
   */
  const readMini = async (): Promise<{ container: Buffer; miniFat: Buffer }> => {
    const root = entries.find((e) => e.type === 5);
    if (!root || header.readUInt16LE(0x20) !== 6)
      return { container: Buffer.alloc(0), miniFat: Buffer.alloc(0) };
    const container = Buffer.concat(await chain(root.start, Math.min(root.size, MAX_MINI_STREAM_BYTES)));
    // Four bytes of mini FAT per 64-byte mini sector: no more than the mini stream read needs.
    const miniFatBytes = Math.min(header.readUInt32LE(0x40) * sectorBytes, MAX_MINI_STREAM_BYTES / 16);
    const miniFat = Buffer.concat(await chain(header.readUInt32LE(0x3c), miniFatBytes));
    return { container, miniFat };
  };
  /** The mini stream and its FAT, read once for every small stream asked for. */
  let mini: Promise<{ container: Buffer; miniFat: Buffer }> | undefined;
  const miniStreamStart = async (entry: CfbEntry, want: number): Promise<Buffer> => {
    mini ??= readMini();
    const { container, miniFat } = await mini;
    const pieces: Buffer[] = [];
    const seen = new Set<number>();
    for (let id = entry.start, bytes = 0; id <= MAX_SECTOR_ID && bytes < want && !seen.has(id); ) {
      seen.add(id);
      const piece = container.subarray(id * 64, id * 64 + 64);
      if (piece.length === 0) break;
      pieces.push(piece);
      bytes += piece.length;
      if ((id + 1) * 4 > miniFat.length) break;
      id = miniFat.readUInt32LE(id * 4);
    }
    return Buffer.concat(pieces);
  };
  return {
    entries,
    async streamStart(entry, max) {
      if (entry.type !== 2 || entry.size === 0) return undefined;
      const want = Math.min(max, entry.size);
      const bytes =
        entry.size < MINI_STREAM_CUTOFF
          ? await miniStreamStart(entry, want)
          : Buffer.concat(await chain(entry.start, want));
      return bytes.length > 0 ? bytes.subarray(0, want) : undefined;
    },
  };
}

/** The most of the mini stream read to find a small stream in it (it holds every stream under 4 KiB). */
const MAX_MINI_STREAM_BYTES = 1024 * 1024;

/** Storages and streams that hold a VBA project: Word's Macros, Excel's _VBA_PROJECT_CUR, VBA itself. */
const VBA_NAMES = new Set(['vba', '_vba_project_cur', '_vba_project', 'macros']);

/** The name of the first directory entry that holds a VBA project, if any. */
export function vbaStorage(entries: readonly CfbEntry[]): string | undefined {
  return entries.find((entry) => VBA_NAMES.has(entry.name.toLowerCase()))?.name;
}

const BIFF_BOUNDSHEET = 0x0085;
const BIFF_EOF = 0x000a;
const BIFF_FILEPASS = 0x002f;

/**
 * Whether a Word 97-2003 WordDocument stream is encrypted: the fEncrypted bit of its File
 * Information Block's flags (a password to open; everything after the FIB is ciphertext).
 */
export function wordDocumentEncrypted(wordDocument: Buffer): boolean {
  return (
    wordDocument.length >= 12 &&
    wordDocument.readUInt16LE(0) === 0xa5ec &&
    (wordDocument.readUInt16LE(0x0a) & 0x0100) !== 0
  );
}

/**
 * What a BIFF8 workbook stream's globals (its first records, up to their EOF) declare: the first
 * Excel 4.0 macro sheet (XLM), if any (a BoundSheet8 record whose type byte is 1: its formulas,
 * EXEC, CALL, REGISTER, run as the workbook opens, VBA or not), and whether a FilePass record
 * says the workbook is encrypted (a password to open).
 */
export function workbookGlobals(workbook: Buffer): { macroSheet?: string; encrypted: boolean } {
  let encrypted = false;
  for (let at = 0; at + 4 <= workbook.length; ) {
    const type = workbook.readUInt16LE(at);
    const length = workbook.readUInt16LE(at + 2);
    const data = workbook.subarray(at + 4, at + 4 + length);
    if (type === BIFF_EOF) break;
    if (type === BIFF_FILEPASS) encrypted = true;
    if (type === BIFF_BOUNDSHEET && data.length >= 8 && data[5] === 0x01) {
      const chars = data[6]!;
      const wide = (data[7]! & 0x01) === 1;
      const macroSheet = wide
        ? data.toString('utf16le', 8, 8 + chars * 2)
        : data.toString('latin1', 8, 8 + chars);
      return { macroSheet, encrypted };
    }
    at += 4 + length;
  }
  return { encrypted };
}

/** A file packaged in an OLE object (Packager's Ole10Native stream): its name, and the start of its bytes. */
export interface PackagedFile {
  /** The label Office shows under the icon: the file's name when it was embedded. */
  name: string;
  /** The size it declares, and its first bytes (as many as the stream's start held). */
  size: number;
  head: Buffer;
}

/** What Packager stores before the label: the stream's own size (4 bytes) and a version (2). */
const OLE10_LABEL_AT = 6;

/** A NUL-terminated ANSI string at `at`, and where the next field starts; undefined past the end. */
function zString(bytes: Buffer, at: number): { text: string; next: number } | undefined {
  const end = bytes.indexOf(0, at);
  return end < 0 ? undefined : { text: bytes.toString('latin1', at, end), next: end + 1 };
}

/**
 * The file an OLE Package object wraps (how Office embeds an arbitrary file: an .exe or a script
 * shown as an icon the reader double-clicks), read from the start of its Ole10Native stream:
 * label, original path, two words, a temporary path, then the file's size and bytes (the layout
 * oletools' oleobj reads). Undefined when `file` holds no such stream.
 */
export async function packagedFile(file: CfbFile, maxHead: number): Promise<PackagedFile | undefined> {
  const native = file.entries.find((entry) => entry.type === 2 && entry.name === '\u0001Ole10Native');
  const bytes = native && (await file.streamStart(native, 4096 + maxHead));
  if (!bytes) return undefined;
  const label = zString(bytes, OLE10_LABEL_AT);
  const path = label && zString(bytes, label.next);
  if (!label || !path) return undefined;
  // Two words (a version, the temporary path's length), then the temporary path itself.
  const temp = zString(bytes, path.next + 8);
  if (!temp || temp.next + 4 > bytes.length) return { name: label.text, size: 0, head: Buffer.alloc(0) };
  const size = bytes.readUInt32LE(temp.next);
  return {
    name: label.text,
    size,
    head: bytes.subarray(temp.next + 4, temp.next + 4 + Math.min(size, maxHead)),
  };
}
