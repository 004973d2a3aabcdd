/**
 * A realistic upload tree for the benchmark: log-normal sizes (median about 60 KiB), and files
 * whose structure is real where a parser walks it: JPEGs with an EXIF segment, PNG chunks, PDFs
 * with compressed page content, an image stream and an object stream, zips and Office files
 * with real local headers, deflated parts and central directories, MP4 boxes. Bodies that no
 * parser reads (image data, media) are holes in sparse files: they cost no disk, and reading
 * them still costs what reading bytes costs. Deterministic: the same size gives the same tree.
 */
import { closeSync, existsSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { elf, pngChunk, type ZipEntry, zip } from '../test-support/bytes.js';
import { completeMarker, dateFolder, prng } from './generate.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Log-normal: exp(mu + sigma * N(0, 1)), by Box-Muller. */
function logNormal(random: () => number, median: number, sigma: number): number {
  const n = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.round(median * Math.exp(sigma * n));
}

const WORDS =
  'invoice total paid order customer report quarterly summary item price amount date photo the of and to in for with on'.split(
    ' ',
  );

/** Text of about `bytes` bytes that deflates as prose does (not as a run of one byte). */
function prose(random: () => number, bytes: number): string {
  const out: string[] = [];
  let length = 0;
  while (length < bytes) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    out.push(word);
    length += word.length + 1;
  }
  return out.join(' ');
}

/** A file of `size` bytes: `head` at the start, `tail` at the end, a hole between (sparse). */
function writeSparse(path: string, size: number, head: Buffer, tail: Buffer = Buffer.alloc(0)): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head, 0, head.length, 0);
    const end = Math.max(size, head.length + tail.length);
    if (tail.length > 0) writeSync(fd, tail, 0, tail.length, end - tail.length);
    else if (end > head.length) writeSync(fd, Buffer.alloc(1), 0, 1, end - 1);
  } finally {
    closeSync(fd);
  }
}

function jpegHead(): Buffer {
  // SOI, APP1 Exif with a little-endian TIFF header and one IFD entry (Make), DQT, SOF0, SOS.
  const tiff = Buffer.from('49492a0008000000010f010200060000001a00000000000043616d657261', 'hex');
  const exif = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([
    Buffer.from([0xff, 0xe1, (exif.length + 2) >> 8, (exif.length + 2) & 0xff]),
    exif,
  ]);
  const dqt = Buffer.concat([Buffer.from([0xff, 0xdb, 0x00, 0x43, 0x00]), Buffer.alloc(64, 1)]);
  const sof = Buffer.from([
    0xff, 0xc0, 0, 17, 8, 0x03, 0x00, 0x04, 0x00, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
  ]);
  const sos = Buffer.from([0xff, 0xda, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, dqt, sof, sos]);
}

function pngHead(size: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1024, 0);
  ihdr.writeUInt32BE(768, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const idat = Buffer.alloc(8);
  idat.writeUInt32BE(Math.max(0, size - 8 - 25 - 12 - 12), 0);
  idat.write('IDAT', 4, 'latin1');
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), idat]);
}

const PNG_END = Buffer.from('0000000049454e44ae426082', 'hex');

/** A PDF of about `size` bytes: catalog, page, compressed page content, an image stream left as a hole, an object stream, xref. */
function writePdf(path: string, size: number, random: () => number): void {
  const content = deflateSync(Buffer.from(prose(random, 2 * KiB + Math.floor(random() * 30 * KiB))));
  let objects = '';
  for (let k = 0; k < 40; k++)
    objects += `<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://example.com/${k}) >> >>\n`;
  const objstm = deflateSync(Buffer.from(objects));
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  const add = (b: Buffer | string) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
    parts.push(buf);
    at += buf.length;
  };
  add('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  const obj = (n: number, body: string) => {
    offsets.push(at);
    add(`${n} 0 obj\n${body}\nendobj\n`);
  };
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  obj(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  obj(3, '<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>');
  offsets.push(at);
  add(`4 0 obj\n<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`);
  add(content);
  add('\nendstream\nendobj\n');
  const imageBytes = Math.max(1024, size - at - 1024);
  offsets.push(at);
  add(
    `5 0 obj\n<< /Type /XObject /Subtype /Image /Width 1600 /Height 1200 /Filter /DCTDecode /Length ${imageBytes} >>\nstream\n`,
  );
  const head = Buffer.concat(parts);
  const imageStart = at;
  at += imageBytes;
  parts.length = 0;
  add('\nendstream\nendobj\n');
  offsets.push(at);
  add(`6 0 obj\n<< /Type /ObjStm /N 40 /First 10 /Filter /FlateDecode /Length ${objstm.length} >>\nstream\n`);
  add(objstm);
  add('\nendstream\nendobj\n');
  const xref = at;
  let table = `xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) table += `${String(o).padStart(10, '0')} 00000 n \n`;
  add(`${table}trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  const tail = Buffer.concat(parts);
  writeSparse(path, imageStart + imageBytes + tail.length, head, tail);
}

const OFFICE: Record<string, { type: string; part: string; root: string }> = {
  docx: { type: 'wordprocessingml.document', part: 'word/document.xml', root: 'w:document' },
  xlsx: { type: 'spreadsheetml.sheet', part: 'xl/worksheets/sheet1.xml', root: 'worksheet' },
  pptx: { type: 'presentationml.presentation', part: 'ppt/slides/slide1.xml', root: 'p:sld' },
};

function office(ext: string, size: number, random: () => number): Buffer {
  const { type, part, root } = OFFICE[ext]!;
  const xml = (body: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
  return zip({
    '[Content_Types].xml': {
      data: xml(
        `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/${part}" ContentType="application/vnd.openxmlformats-officedocument.${type}.main+xml"/></Types>`,
      ),
      deflate: true,
    },
    '_rels/.rels': {
      data: xml('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'),
      deflate: true,
    },
    [part]: { data: xml(`<${root}>${prose(random, Math.max(2 * KiB, size * 4))}</${root}>`), deflate: true },
    'docProps/core.xml': { data: xml('<cp:coreProperties/>'), deflate: true },
    'media/image1.jpeg': { data: Buffer.concat([jpegHead(), Buffer.alloc(Math.floor(size / 2))]) },
  });
}

/** The writer of file `i`, chosen by its kind. */
function pick(dir: string, i: number, random: () => number): () => void {
  const r = random();
  const size = Math.max(200, logNormal(random, 60 * KiB, 1.3));
  if (r < 0.4)
    return () => writeSparse(join(dir, `IMG_${i}.jpg`), size, jpegHead(), Buffer.from([0xff, 0xd9]));
  if (r < 0.52) return () => writeSparse(join(dir, `screen-${i}.png`), size, pngHead(size), PNG_END);
  if (r < 0.6) {
    // PDFs run larger: median ~250 KiB, some of several MiB.
    return () =>
      writePdf(join(dir, `doc-${i}.pdf`), Math.max(4 * KiB, logNormal(random, 250 * KiB, 1.2)), random);
  }
  if (r < 0.65) {
    const entries: Record<string, ZipEntry> = {};
    const count = 2 + Math.floor(random() * 12);
    for (let k = 0; k < count; k++) {
      if (k % 3 === 2)
        entries[`photos/p${k}.jpg`] = {
          data: Buffer.concat([jpegHead(), Buffer.alloc(Math.floor(size / count))]),
        };
      else
        entries[`docs/notes-${k}.txt`] = {
          data: prose(random, Math.floor(size / count) + 200),
          deflate: true,
        };
    }
    return () => writeFileSync(join(dir, `bundle-${i}.zip`), zip(entries));
  }
  if (r < 0.7) {
    const ext = ['docx', 'xlsx', 'pptx'][Math.floor(random() * 3)]!;
    return () => writeFileSync(join(dir, `file-${i}.${ext}`), office(ext, Math.min(size, 400 * KiB), random));
  }
  if (r < 0.85) {
    const ext = ['txt', 'csv', 'json', 'md'][Math.floor(random() * 4)]!;
    return () => writeFileSync(join(dir, `data-${i}.${ext}`), prose(random, Math.min(size, 64 * KiB)));
  }
  if (r < 0.96)
    return () =>
      writeSparse(
        join(dir, `anim-${i}.gif`),
        size,
        Buffer.from('GIF89a\x40\x01\xf0\x00\x00\x00\x00', 'latin1'),
        Buffer.from([0x3b]),
      );
  if (r < 0.97) {
    // A large video: an ftyp box, then the media data as a hole.
    const media = Math.max(MiB, logNormal(random, 20 * MiB, 0.8));
    return () =>
      writeSparse(
        join(dir, `clip-${i}.mp4`),
        media,
        Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex'),
      );
  }
  const p = Math.floor(random() * 5);
  if (p === 0) return () => writeFileSync(join(dir, `shell-${i}.php.jpg`), '<?php system($_GET["c"]); ?>');
  if (p === 1) return () => writeFileSync(join(dir, `avatar-${i}.png`), elf());
  if (p === 2)
    return () =>
      writeFileSync(
        join(dir, `logo-${i}.svg`),
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
      );
  if (p === 3)
    return () => writeSparse(join(dir, `thumb-${i}.png`), size, jpegHead(), Buffer.from([0xff, 0xd9]));
  return () => writeFileSync(join(dir, `empty-${i}.jpg`), '');
}

export const realisticTreeIsGenerated = (dir: string): boolean => existsSync(completeMarker(dir));

/** Write the realistic tree of `files` files into `dir` once (kept and reused when complete). */
export function generateRealisticTree(dir: string, files: number): void {
  if (existsSync(completeMarker(dir))) return;
  rmSync(dir, { recursive: true, force: true });
  const random = prng(files * 7 + 1);
  let folder = '';
  for (let i = 0; i < files; i++) {
    folder = dateFolder(dir, i) ?? folder;
    pick(folder, i, random)();
  }
  writeFileSync(completeMarker(dir), '');
}
