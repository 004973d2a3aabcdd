/**
 * Real file bytes for tests and the demo folder: small but genuine images, documents and
 * executables, so detection runs on what a scanner really meets.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { deflateRawSync, deflateSync } from 'node:zlib';

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

export function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid PNG of `width`×`height` grey pixels. */
export function png(width = 2, height = 2): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const rows = Buffer.alloc((width + 1) * height, 0x80);
  for (let y = 0; y < height; y++) rows[y * (width + 1)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A baseline JPEG (1×1), optionally with a COM segment. */
export function jpeg(comment?: string): Buffer {
  const hex =
    'ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00d2cf20ffd9';
  const body = Buffer.from(hex, 'hex');
  if (comment === undefined) return body;
  const text = Buffer.from(comment, 'latin1');
  const com = Buffer.alloc(4);
  com.set([0xff, 0xfe], 0);
  com.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([body.subarray(0, 20), com, text, body.subarray(20)]);
}

/** The classic 1×1 transparent GIF89a. */
export function gif(): Buffer {
  return Buffer.from(
    '47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b',
    'hex',
  );
}

/** A minimal one-page PDF with the given text in its content stream. */
export function pdf(extra = ''): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] ${extra}>>`,
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** The head of a 64-bit x86 ELF executable (enough for every signature check). */
export function elf(): Buffer {
  const b = Buffer.alloc(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  b.writeUInt16LE(2, 16);
  b.writeUInt16LE(0x3e, 18);
  b.writeUInt32LE(1, 20);
  return b;
}

/** The head of a Windows PE executable: MZ stub pointing at a PE header. */
export function pe(): Buffer {
  const b = Buffer.alloc(256);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(0x14c, 0x84);
  return b;
}

export interface ZipEntry {
  data: string | Buffer;
  /** Deflate the data (method 8) instead of storing it. */
  deflate?: boolean;
  /** Unix mode in the external attributes (0o120777 makes a symlink entry). */
  mode?: number;
  /** Lie about the uncompressed size in both headers. */
  declaredSize?: number;
  /** Mark the entry encrypted (general purpose bit 0), as a password-protected zip does. */
  encrypted?: boolean;
}

/** A zip archive written by hand, so tests can forge what real tools refuse to write. */
export function zip(
  entries: Record<string, string | Buffer | ZipEntry>,
  options: { overlap?: boolean } = {},
): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, spec] of Object.entries(entries)) {
    const entry: ZipEntry = typeof spec === 'string' || Buffer.isBuffer(spec) ? { data: spec } : spec;
    const raw = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
    const data = entry.deflate ? deflateRawSync(raw) : raw;
    const nameBytes = Buffer.from(name);
    const crc = crc32(raw);
    const size = entry.declaredSize ?? raw.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    const flags = 0x800 | (entry.encrypted ? 1 : 0);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(entry.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(entry.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(options.overlap ? 0 : offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

export interface TarEntry {
  name: string;
  data?: string | Buffer;
  /** ustar type flag: 0 file, 1 hard link, 2 symlink, 5 directory. */
  type?: '0' | '1' | '2' | '5';
  link?: string;
  /** Declare this size instead of the data's. */
  size?: number;
}

/** A ustar archive, with the checksum real tools verify. */
export function tar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const header = Buffer.alloc(512);
    header.write(e.name.slice(0, 100), 0, 'utf8');
    header.write('0000644\0', 100, 'latin1');
    header.write('0000000\0', 108, 'latin1');
    header.write('0000000\0', 116, 'latin1');
    header.write(`${(e.size ?? data.length).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write('00000000000\0', 136, 'latin1');
    header.write(e.type ?? '0', 156, 'latin1');
    if (e.link) header.write(e.link, 157, 'utf8');
    header.write('ustar\u000000', 257, 'latin1');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/**
 * A Compound File (OLE2, as .doc and .xls are) with 512-byte sectors whose directory lists
 * `entries` after its root, `perSector` entries to a directory sector (4 fill one; fewer spread
 * the directory over a chain of sectors the FAT links). A stream's `data` follows the directory:
 * 4,096 bytes or more in regular sectors the FAT chains, less in 64-byte mini sectors of the mini
 * stream (the root entry's own stream) the mini FAT chains, as Office writes small streams.
 */
export function cfb(
  entries: { name: string; type: 'storage' | 'stream'; data?: Buffer }[],
  perSector = 4,
): Buffer {
  const SECTOR = 512;
  const END = 0xfffffffe;
  const all = [
    { name: 'Root Entry', type: 5, data: undefined as Buffer | undefined },
    ...entries.map((e) => ({ name: e.name, type: e.type === 'storage' ? 1 : 2, data: e.data })),
  ];
  const dirSectors = Math.ceil(all.length / perSector);
  const header = Buffer.alloc(SECTOR, 0);
  Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(header, 0);
  header.writeUInt16LE(0x3e, 0x18);
  header.writeUInt16LE(3, 0x1a);
  header.writeUInt16LE(0xfffe, 0x1c);
  header.writeUInt16LE(9, 0x1e);
  header.writeUInt16LE(6, 0x20);
  header.writeUInt32LE(1, 0x2c); // one FAT sector
  header.writeUInt32LE(1, 0x30); // the directory starts in sector 1
  header.writeUInt32LE(4096, 0x38);
  header.writeUInt32LE(END, 0x3c);
  header.writeUInt32LE(END, 0x44);
  for (let i = 0; i < 109; i++) header.writeUInt32LE(i === 0 ? 0 : 0xffffffff, 0x4c + i * 4);
  const fat = Buffer.alloc(SECTOR, 0xff);
  fat.writeUInt32LE(0xfffffffd, 0); // sector 0 is the FAT
  const chainOf = (first: number, count: number): void => {
    for (let s = first; s < first + count; s++)
      fat.writeUInt32LE(s === first + count - 1 ? END : s + 1, s * 4);
  };
  chainOf(1, dirSectors);
  const dir = Buffer.alloc(dirSectors * SECTOR, 0);
  const streams: Buffer[] = [];
  let nextSector = 1 + dirSectors;
  let mini = Buffer.alloc(0);
  const miniFat = Buffer.alloc(SECTOR, 0xff);
  // An entry's id is its place in the directory, four to a sector, empty places included.
  const idOf = (i: number): number => Math.floor(i / perSector) * 4 + (i % perSector);
  all.forEach((entry, i) => {
    const at = idOf(i) * 128;
    const name = Buffer.from(`${entry.name}\0`, 'utf16le');
    name.copy(dir, at);
    dir.writeUInt16LE(name.length, at + 0x40);
    dir[at + 0x42] = entry.type;
    // Every entry a child of the root, each the right sibling of the one before: a tree other
    // readers (olefile) walk as Office's own is walked.
    dir.writeUInt32LE(0xffffffff, at + 0x44);
    dir.writeUInt32LE(i > 0 && i + 1 < all.length ? idOf(i + 1) : 0xffffffff, at + 0x48);
    dir.writeUInt32LE(i === 0 && all.length > 1 ? idOf(1) : 0xffffffff, at + 0x4c);
    dir.writeUInt32LE(END, at + 0x74);
    if (entry.data !== undefined && entry.data.length < 4096) {
      const first = mini.length / 64;
      const miniSectors = Math.ceil(entry.data.length / 64);
      dir.writeUInt32LE(first, at + 0x74);
      dir.writeUInt32LE(entry.data.length, at + 0x78);
      for (let m = first; m < first + miniSectors; m++)
        miniFat.writeUInt32LE(m === first + miniSectors - 1 ? END : m + 1, m * 4);
      mini = Buffer.concat([mini, entry.data, Buffer.alloc(miniSectors * 64 - entry.data.length)]);
    } else if (entry.data !== undefined) {
      const sectors = Math.ceil(entry.data.length / SECTOR);
      dir.writeUInt32LE(nextSector, at + 0x74);
      dir.writeUInt32LE(entry.data.length, at + 0x78);
      chainOf(nextSector, sectors);
      nextSector += sectors;
      streams.push(entry.data, Buffer.alloc(sectors * SECTOR - entry.data.length));
    }
  });
  if (mini.length > 0) {
    // The mini stream is the root entry's stream; the mini FAT, one sector of its own.
    const sectors = Math.ceil(mini.length / SECTOR);
    dir.writeUInt32LE(nextSector, 0x74);
    dir.writeUInt32LE(mini.length, 0x78);
    chainOf(nextSector, sectors);
    streams.push(mini, Buffer.alloc(sectors * SECTOR - mini.length));
    nextSector += sectors;
    header.writeUInt32LE(nextSector, 0x3c);
    header.writeUInt32LE(1, 0x40);
    chainOf(nextSector, 1);
    streams.push(miniFat);
  }
  return Buffer.concat([header, fat, dir, ...streams]);
}

/** A BIFF8 record: its type, its length, its data. */
function biffRecord(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(type, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

/** An Excel workbook stream's globals declaring `sheets` (type 0 worksheet, 1 macro sheet), padded to 4,096 bytes. */
export function biffWorkbook(sheets: { name: string; type: number }[]): Buffer {
  const records = [
    biffRecord(0x0809, Buffer.from('0006050000000000', 'hex')),
    ...sheets.map(({ name, type }) =>
      biffRecord(
        0x0085,
        Buffer.concat([Buffer.from([0, 0, 0, 0, 0, type, name.length, 0]), Buffer.from(name, 'latin1')]),
      ),
    ),
    biffRecord(0x000a, Buffer.alloc(0)),
  ];
  const stream = Buffer.concat(records);
  return Buffer.concat([stream, Buffer.alloc(Math.max(0, 4096 - stream.length))]);
}

/**
 * The Ole10Native stream of an OLE Package object (how Office embeds an arbitrary file) holding
 * `data` under `label`: the label, the original and temporary paths, then the file.
 */
export function ole10Native(label: string, data: Buffer): Buffer {
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const temp = `C:\\Users\\ana\\AppData\\Local\\Temp\\${label}\0`;
  const body = Buffer.concat([
    Buffer.from([2, 0]),
    Buffer.from(`${label}\0C:\\Users\\ana\\Desktop\\${label}\0`, 'latin1'),
    Buffer.from([0, 0, 3, 0]),
    u32(temp.length),
    Buffer.from(temp, 'latin1'),
    u32(data.length),
    data,
  ]);
  return Buffer.concat([u32(body.length), body]);
}

/** An OLE Package object as Office embeds it in a .docx: a Compound File of its own (mini stream when small). */
export function olePackage(label: string, data: Buffer): Buffer {
  return cfb([
    { name: '\u0001CompObj', type: 'stream' },
    { name: '\u0001Ole10Native', type: 'stream', data: ole10Native(label, data) },
  ]);
}

/**
 * A Microsoft Cabinet listing `files` (names as CAB writes them, `\` between folders) in one
 * uncompressed folder. Only the file table is real: no data blocks (cCFData 0), which is all a
 * listing reads.
 */
export function cab(files: { name: string; size?: number; utf8?: boolean }[]): Buffer {
  const records = files.map(({ name, size = 0, utf8 = false }) => {
    const head = Buffer.alloc(16);
    head.writeUInt32LE(size, 0);
    head.writeUInt16LE(utf8 ? 0xa0 : 0x20, 14); // archive bit, and the UTF-8 name bit
    return Buffer.concat([head, Buffer.from(`${name}\0`, utf8 ? 'utf8' : 'latin1')]);
  });
  const header = Buffer.alloc(36);
  header.write('MSCF', 0, 'latin1');
  header.writeUInt32LE(36 + 8, 16); // the file table follows the header and one folder
  header[24] = 3;
  header[25] = 1;
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(files.length, 28);
  const folder = Buffer.alloc(8);
  const table = Buffer.concat(records);
  folder.writeUInt32LE(36 + 8 + table.length, 0);
  const whole = Buffer.concat([header, folder, table]);
  whole.writeUInt32LE(whole.length, 8);
  return whole;
}

/**
 * A OneNote section as far as attachments go: the section's header GUID, each name as OneNote
 * stores a property's text (its byte length, then UTF-16LE), and each file in a
 * FileDataStoreObject (header GUID, cbLength, unused, reserved, the bytes), between filler.
 */
export function oneNote(names: string[], files: Buffer[]): Buffer {
  const section = Buffer.from('e4525c7b8cd8a74daeb15378d02996d3', 'hex');
  const header = Buffer.from('e716e3bd65261145a4c48d4d0b7a9eac', 'hex');
  // Filler as long as a real section's pages: what is attached lies past the head and the tail.
  const filler = Buffer.alloc(16 * 1024, 0x11);
  const parts: Buffer[] = [section, filler];
  for (const name of names) {
    const text = Buffer.from(name, 'utf16le');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(text.length);
    parts.push(length, text, Buffer.alloc(64, 0x11));
  }
  for (const file of files) {
    const fields = Buffer.alloc(20);
    fields.writeBigUInt64LE(BigInt(file.length));
    parts.push(header, fields, file, filler);
  }
  return Buffer.concat(parts);
}

/** RAR 5's vint: 7 bits a byte, low bits first, the high bit set on all but the last byte. */
function rarVint(value: number): Buffer {
  const bytes: number[] = [];
  do {
    const low = value % 128;
    value = Math.floor(value / 128);
    bytes.push(value > 0 ? low | 0x80 : low);
  } while (value > 0);
  return Buffer.from(bytes);
}

/** One RAR 5 header: CRC32, size, then type, flags, [extra size], [data size], fields, extra. */
function rar5Header(type: number, fields: Buffer, extra = Buffer.alloc(0), dataSize?: number): Buffer {
  const flags = (extra.length > 0 ? 0x1 : 0) | (dataSize !== undefined ? 0x2 : 0);
  const body = Buffer.concat([
    rarVint(type),
    rarVint(flags),
    ...(extra.length > 0 ? [rarVint(extra.length)] : []),
    ...(dataSize !== undefined ? [rarVint(dataSize)] : []),
    fields,
    extra,
  ]);
  const sized = Buffer.concat([rarVint(body.length), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(sized));
  return Buffer.concat([crc, sized]);
}

export interface RarEntry {
  name: string;
  data?: Buffer | string;
  directory?: boolean;
  /** A Unix symlink (RAR 5: a redirection record) to this target. */
  symlink?: string;
  /** RAR 5: a file encryption record (the data is then not what it says). */
  encrypted?: boolean;
}

/**
 * A RAR 5 archive of stored entries (compression method 0), laid out as the RAR 5.0 format
 * describes it: signature, main header, a file header and its data per entry, end of archive.
 * `encryptHeaders` puts an archive encryption header first: nothing after it is readable.
 */
export function rar5(entries: RarEntry[], { encryptHeaders = false } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1')];
  if (encryptHeaders) parts.push(rar5Header(4, Buffer.concat([rarVint(0), rarVint(0), rarVint(15)])));
  parts.push(rar5Header(1, rarVint(0)));
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '');
    const name = Buffer.from(entry.name, 'utf8');
    const fields = Buffer.concat([
      rarVint(entry.directory ? 0x1 : 0), // file flags
      rarVint(data.length), // unpacked size
      rarVint(0o100644), // attributes
      rarVint(0), // compression: version 0, method 0 (store)
      rarVint(1), // host OS: Unix
      rarVint(name.length),
      name,
    ]);
    const records: Buffer[] = [];
    const record = (type: number, body: Buffer) => {
      const content = Buffer.concat([rarVint(type), body]);
      records.push(Buffer.concat([rarVint(content.length), content]));
    };
    if (entry.encrypted) record(1, Buffer.concat([rarVint(0), rarVint(0), Buffer.alloc(16 + 16)]));
    if (entry.symlink !== undefined) {
      const target = Buffer.from(entry.symlink, 'utf8');
      record(5, Buffer.concat([rarVint(1), rarVint(0), rarVint(target.length), target]));
    }
    parts.push(rar5Header(2, fields, Buffer.concat(records), data.length), data);
  }
  parts.push(rar5Header(5, rarVint(0)));
  return Buffer.concat(parts);
}

/**
 * A RAR 4 archive (the format of RAR 1.5 to 4.x) of stored entries: marker block, archive header,
 * a file header (names with `\` between folders, as Windows RAR writes them) and data per entry,
 * end of archive. CRCs are left 0: listings do not check them.
 */
export function rar4(entries: RarEntry[], { encryptHeaders = false } = {}): Buffer {
  const block = (type: number, flags: number, fields: Buffer) => {
    const head = Buffer.alloc(7);
    head[2] = type;
    head.writeUInt16LE(flags, 3);
    head.writeUInt16LE(7 + fields.length, 5);
    return Buffer.concat([head, fields]);
  };
  const parts: Buffer[] = [
    Buffer.from('Rar!\x1a\x07\x00', 'latin1'),
    block(0x73, encryptHeaders ? 0x0080 : 0, Buffer.alloc(6)),
  ];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '');
    const name = Buffer.from(entry.name, 'latin1');
    const fields = Buffer.alloc(25);
    fields.writeUInt32LE(data.length, 0); // packed
    fields.writeUInt32LE(data.length, 4); // unpacked
    fields[8] = 2; // host OS: Windows
    fields[18] = 0x30; // method: store
    fields.writeUInt16LE(name.length, 19);
    fields.writeUInt32LE(entry.directory ? 0x10 : 0x20, 21);
    const flags = 0x8000 | (entry.directory ? 0x00e0 : 0) | (entry.encrypted ? 0x0004 : 0);
    parts.push(block(0x74, flags, Buffer.concat([fields, name])), data);
  }
  parts.push(block(0x7b, 0x4000, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

const PDF_PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');

/** RC4, written again here so that the tests do not lean on the reader's own. */
function testRc4(key: Uint8Array, data: Uint8Array): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

/**
 * An encrypted PDF (standard security handler, RC4-128 revision 3, AES-128 revision 4 or AES-256
 * revision 6) whose
 * catalog's dictionary sits in a compressed object stream, as Acrobat writes files: `objects`
 * is the object stream's content. Opened by the empty user password unless `userPassword` is
 * given. Keys and /O, /U follow ISO 32000 algorithms 2, 3 and 5.
 */
export function encryptedPdf(
  objects: string,
  {
    aes = false,
    aes256 = false,
    userPassword = '',
  }: { aes?: boolean; aes256?: boolean; userPassword?: string } = {},
): Buffer {
  if (aes256) return aes256Pdf(objects, userPassword);
  const md5 = (...parts: Uint8Array[]) => {
    const hash = createHash('md5');
    for (const part of parts) hash.update(part);
    return hash.digest();
  };
  const padded = (password: string) =>
    Buffer.concat([Buffer.from(password, 'latin1'), PDF_PAD]).subarray(0, 32);
  const id = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  // Algorithm 3: /O from the owner password ("owner") and the user password.
  let ownerKey = md5(padded('owner'));
  for (let i = 0; i < 50; i++) ownerKey = md5(ownerKey);
  ownerKey = ownerKey.subarray(0, 16);
  let o = testRc4(ownerKey, padded(userPassword));
  for (let i = 1; i <= 19; i++)
    o = testRc4(
      ownerKey.map((b) => b ^ i),
      o,
    );
  // Algorithm 2: the file key; algorithm 5: /U.
  const p = Buffer.alloc(4);
  p.writeInt32LE(-4);
  let key = md5(padded(userPassword), o, p, id);
  for (let i = 0; i < 50; i++) key = md5(key);
  key = key.subarray(0, 16);
  let u = testRc4(key, md5(PDF_PAD, id));
  for (let i = 1; i <= 19; i++)
    u = testRc4(
      key.map((b) => b ^ i),
      u,
    );
  u = Buffer.concat([u, Buffer.alloc(16)]);
  // The object stream, object 4: compressed, then encrypted with its object key.
  const objectKey = md5(key, Buffer.from([4, 0, 0, 0, 0]), ...(aes ? [Buffer.from('sAlT')] : []));
  const plain = deflateSync(Buffer.from(`1 0 ${objects}`, 'latin1'));
  let data: Buffer;
  if (aes) {
    const iv = Buffer.alloc(16, 7);
    const cipher = createCipheriv('aes-128-cbc', objectKey, iv);
    data = Buffer.concat([iv, cipher.update(plain), cipher.final()]);
  } else data = testRc4(objectKey, plain);
  const filter = aes
    ? '/V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /Length 16 /AuthEvent /DocOpen >> >> /StmF /StdCF /StrF /StdCF'
    : '/V 2 /R 3 /Length 128';
  return encryptedPdfLayout(data, `${filter} /P -4 /O ${hex(o)} /U ${hex(u)}`, id);
}

const hex = (b: Buffer) => `<${b.toString('hex')}>`;

/** The file around an encrypted object stream (object 4): its encryption dictionary (object 6), the trailer. */
function encryptedPdfLayout(data: Buffer, encryption: string, id: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(
      `%PDF-1.6\n4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`,
      'latin1',
    ),
    data,
    Buffer.from(
      `\nendstream\nendobj\n6 0 obj\n<< /Filter /Standard ${encryption} >>\nendobj\n` +
        `trailer\n<< /Size 7 /Root 1 0 R /Encrypt 6 0 R /ID [${hex(id)} ${hex(id)}] >>\n%%EOF\n`,
      'latin1',
    ),
  ]);
}

/** ISO 32000-2 algorithm 2.B: a revision 6 password hash (user password: no /U data mixed in). */
function revision6Hash(password: Buffer, salt: Buffer): Buffer {
  let k = createHash('sha256')
    .update(Buffer.concat([password, salt]))
    .digest();
  let e = Buffer.alloc(0);
  for (let round = 1; round <= 64 || e[e.length - 1]! > round - 1 - 32; round++) {
    const block = Buffer.concat([password, k]);
    const cipher = createCipheriv('aes-128-cbc', k.subarray(0, 16), k.subarray(16, 32));
    cipher.setAutoPadding(false);
    e = Buffer.concat([
      cipher.update(Buffer.concat(Array.from({ length: 64 }, () => block))),
      cipher.final(),
    ]);
    const remainder = [...e.subarray(0, 16)].reduce((sum, b) => sum + b, 0) % 3;
    k = createHash(['sha256', 'sha384', 'sha512'][remainder]!).update(e).digest();
  }
  return k.subarray(0, 32);
}

/** encryptedPdf's AES-256 (revision 6) form: /U and /UE from the user password, a random file key. */
function aes256Pdf(objects: string, userPassword: string): Buffer {
  const password = Buffer.from(userPassword, 'utf8');
  const fileKey = Buffer.alloc(32, 0x5a);
  const validationSalt = Buffer.from('vsalt123');
  const keySalt = Buffer.from('ksalt456');
  const u = Buffer.concat([revision6Hash(password, validationSalt), validationSalt, keySalt]);
  const wrap = createCipheriv('aes-256-cbc', revision6Hash(password, keySalt), Buffer.alloc(16));
  wrap.setAutoPadding(false);
  const ue = Buffer.concat([wrap.update(fileKey), wrap.final()]);
  const iv = Buffer.alloc(16, 3);
  const cipher = createCipheriv('aes-256-cbc', fileKey, iv);
  const plain = deflateSync(Buffer.from(`1 0 ${objects}`, 'latin1'));
  const data = Buffer.concat([iv, cipher.update(plain), cipher.final()]);
  const encryption = `/V 5 /R 6 /Length 256 /CF << /StdCF << /CFM /AESV3 /Length 32 >> >> /StmF /StdCF /StrF /StdCF /P -4 /O ${hex(Buffer.alloc(48))} /U ${hex(u)} /OE ${hex(Buffer.alloc(32))} /UE ${hex(ue)}`;
  return encryptedPdfLayout(data, encryption, Buffer.alloc(1));
}
