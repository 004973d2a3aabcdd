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
}

/**
 * Every directory entry of the Compound File `source` holds, at most `maxEntries` of them;
 * undefined when it is not one, or its header or FAT is malformed (the caller's other checks
 * still run). Reads the header, the FAT sectors the chain passes through, and the directory.
 */
export async function cfbDirectory(source: ByteSource, maxEntries = 4096): Promise<CfbEntry[] | undefined> {
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
  const entries: CfbEntry[] = [];
  const seen = new Set<number>();
  for (let id: number | undefined = header.readUInt32LE(0x30); id !== undefined && id <= MAX_SECTOR_ID; ) {
    // A chain that loops, or runs past the file, ends the directory here.
    if (seen.has(id) || sectorAt(id) >= source.size) break;
    seen.add(id);
    const sector = await source.read(sectorAt(id), sectorBytes);
    for (let at = 0; at + ENTRY_BYTES <= sector.length; at += ENTRY_BYTES) {
      const type = sector[at + 0x42]!;
      const nameBytes = sector.readUInt16LE(at + 0x40);
      if (type === 0 || nameBytes < 2 || nameBytes > 64) continue;
      entries.push({ name: sector.toString('utf16le', at, at + nameBytes - 2), type });
      if (entries.length >= maxEntries) return entries;
    }
    id = await next(id);
  }
  return entries;
}

/** Storages and streams that hold a VBA project: Word's Macros, Excel's _VBA_PROJECT_CUR, VBA itself. */
const VBA_NAMES = new Set(['vba', '_vba_project_cur', '_vba_project', 'macros']);

/** The name of the first directory entry that holds a VBA project, if any. */
export function vbaStorage(entries: readonly CfbEntry[]): string | undefined {
  return entries.find((entry) => VBA_NAMES.has(entry.name.toLowerCase()))?.name;
}
