import { describe, expect, it } from 'vitest';
import { encryptedPdf } from '../test-support/bytes.js';
import fc from '../test-support/fast-check.js';
import { DEFAULT_LIMITS } from './limits.js';
import { MemoryBytes } from './memory-bytes.js';
import { scanPdf } from './pdf.js';

/** Escape some letters of a name as #xx, the way obfuscated PDFs spell keys. */
const escapeSome = (name: string, mask: number): string =>
  [...name].map((c, i) => (i > 0 && (mask >> i) & 1 ? `#${c.charCodeAt(0).toString(16)}` : c)).join('');

const FRAGMENTS = [
  '/OpenAction',
  '/AA',
  '/S',
  '/JavaScript',
  '/JS',
  '/Launch',
  '/RichMedia',
  '/EmbeddedFiles',
  '/EmbeddedFile',
  '/Type',
  '/Page',
  '/URI',
  '<<',
  '>>',
  '(app.alert(1))',
  ' ',
  '\n',
  '[3 0 R /Fit]',
  'Java',
  'Script',
];

/** A PDF body of keys, delimiters, escaped names and stray bytes. */
const body = fc
  .array(
    fc.oneof(
      fc.constantFrom(...FRAGMENTS),
      fc
        .tuple(fc.constantFrom(...FRAGMENTS.filter((f) => f.startsWith('/'))), fc.nat(255))
        .map(([name, mask]) => escapeSome(name, mask)),
      fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b).toString('latin1')),
    ),
    { maxLength: 40 },
  )
  .map((parts) => `%PDF-1.7\n1 0 obj\n${parts.join(' ')}\nendobj\n`);

/** What the patterns find in the whole text, decoded: what the search by keys must agree with. */
async function wholeText(text: string): Promise<string[]> {
  const clean = text.replace(/\/[^\s/<>[\]()]*#[0-9a-f]{2}[^\s/<>[\]()]*/gi, (name) =>
    name.replace(/#([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
  );
  const kinds: string[] = [];
  if (/\/(?:JavaScript|JS)\b/.test(clean)) kinds.push('pdf-javascript');
  if (/\/Launch\b/.test(clean)) kinds.push('pdf-launch');
  if (/\/RichMedia\b/.test(clean)) kinds.push('pdf-rich-media');
  if (/\/EmbeddedFiles?\b/.test(clean)) kinds.push('pdf-embedded-file');
  if (
    /\/(?:OpenAction|AA)\s*<<[^>]*\/S\s*\/(?:JavaScript|Launch|SubmitForm|ImportData|GoToE|GoToR|Rendition|URI)\b/.test(
      clean,
    )
  )
    kinds.push('pdf-open-action');
  return kinds.sort();
}

describe('scanPdf', () => {
  it('finds what the patterns find in the whole decoded text, by looking only around keys', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const scan = await scanPdf(new MemoryBytes(Buffer.from(text, 'latin1')), DEFAULT_LIMITS);
        expect(scan.hits.map((h) => h.kind).sort()).toEqual(await wholeText(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('is unreadable where /Encrypt in the trailer hides object streams, not for /EncryptMetadata', async () => {
    const scan = async (text: string) =>
      (await scanPdf(new MemoryBytes(Buffer.from(`%PDF-1.7\n${text}`)), DEFAULT_LIMITS)).encrypted;
    const objectStream =
      '4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 3 >>\nstream\nxyz\nendstream endobj\n';
    expect(await scan(`${objectStream}trailer << /Size 9 /Encrypt 5 0 R >>`)).toBe(true);
    // every dictionary in the clear: only strings and streams are encrypted
    expect(await scan('1 0 obj << /Type /Catalog >> endobj\ntrailer << /Size 9 /Encrypt 5 0 R >>')).toBe(
      false,
    );
    expect(await scan(`${objectStream}<< /EncryptMetadata false >>`)).toBe(false);
  });
});

describe('scanPdf opens encrypted files with the empty user password', () => {
  const scan = (bytes: Buffer) => scanPdf(new MemoryBytes(bytes), DEFAULT_LIMITS);
  const action = '<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>';

  it.each([
    ['RC4-128', { aes: false }],
    ['AES-128', { aes: true }],
    ['AES-256', { aes256: true }],
  ])('reads the object streams of an owner-password-only file (%s)', async (_label, algorithm) => {
    const opened = await scan(encryptedPdf(action, algorithm));
    expect(opened.encrypted).toBe(false);
    expect(opened.hits.map((h) => [h.kind, h.where])).toEqual([
      ['pdf-javascript', 'stream'],
      ['pdf-open-action', 'stream'],
    ]);
    const benign = await scan(encryptedPdf('<< /Type /Catalog /Pages 2 0 R >>', algorithm));
    expect(benign).toMatchObject({ encrypted: false, hits: [] });
  });

  it('leaves a file that asks for a user password unreadable, saying so', async () => {
    for (const algorithm of [{ aes: false }, { aes: true }, { aes256: true }]) {
      const locked = await scan(encryptedPdf(action, { ...algorithm, userPassword: 'secret' }));
      expect(locked).toMatchObject({ encrypted: true, hits: [] });
    }
  });
});

describe('scanPdf names embedded files', () => {
  const names = async (body: string) =>
    (await scanPdf(new MemoryBytes(Buffer.from(`%PDF-1.7\n${body}`, 'latin1')), DEFAULT_LIMITS)).attachments;

  it.each([
    ['a plain name', '<< /Type /Filespec /F (report.docx) /EF << /F 4 0 R >> >>', ['report.docx']],
    ['octal escapes (PDFDocEncoding)', '<< /F (caf\\351.txt) /EF << /F 4 0 R >> >>', ['café.txt']],
    [
      'UTF-16 in a literal, written with octal escapes',
      '<< /UF (\\376\\377\\000a\\000.\\000j\\000s) /EF << /F 4 0 R >> >>',
      ['a.js'],
    ],
    [
      'a line continuation and balanced parentheses',
      '<< /F (long\\\nname (v2).pdf) /EF << /F 4 0 R >> >>',
      ['longname (v2).pdf'],
    ],
    [
      'the Unicode name over the plain one',
      '<< /F (REPORT~1.EXE) /UF (Report for 2024.exe) /EF << /F 4 0 R >> >>',
      ['Report for 2024.exe'],
    ],
    [
      'two attachments side by side, each by its own name',
      '<< /F (a.txt) /EF << /F 4 0 R >> >>\n<< /F (b.hta) /EF << /F 5 0 R >> >>',
      ['a.txt', 'b.hta'],
    ],
    ['an /EF without a name string near it', '<< /EF << /F 4 0 R >> >>', []],
    ['a name with no /EF (a link, a launch)', '<< /S /Launch /F (cmd.exe) >>', []],
  ])('%s', async (_label, body, expected) => {
    expect(await names(body)).toEqual(expected);
  });
});

describe('scanPdf steps over large streams of a remote source', () => {
  /** A PDF: an image object whose stream holds `data`, then a catalog with an open action. */
  const pdfWith = (data: Buffer, length: string) =>
    Buffer.concat([
      Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Type /XObject /Subtype /Image /Length ${length} >>\nstream\n`),
      data,
      Buffer.from(
        '\nendstream\nendobj\n2 0 obj\n<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\ntrailer << /Root 2 0 R >>\n',
      ),
    ]);
  /** Image bytes with a key that is drawing data, not a dictionary's. */
  const image = Buffer.concat([
    Buffer.alloc(300 * 1024, 0xa5),
    Buffer.from('/Launch'),
    Buffer.alloc(1024, 0x00),
  ]);
  /** A source whose reads are requests to a store (as a bucket's object is), counting the bytes. */
  const remote = (bytes: Buffer) => {
    const source = new MemoryBytes(bytes);
    let read = 0;
    const plain = source.read.bind(source);
    return {
      source: Object.assign(source, {
        remote: true,
        read: async (at: number, n: number) => {
          const bytes = await plain(at, n);
          read += bytes.length;
          return bytes;
        },
        readInto: undefined,
      }),
      read: () => read,
    };
  };

  it('reads the dictionaries and what follows a stream, not its data', async () => {
    const pdf = pdfWith(image, String(image.length));
    const { source, read } = remote(pdf);
    const scan = await scanPdf(source, DEFAULT_LIMITS);
    expect(scan.hits.map((h) => h.kind).sort()).toEqual(['pdf-javascript', 'pdf-open-action']);
    expect(read()).toBeLessThan(pdf.length / 3);
    // A local source reads every byte: the key inside the image data is seen there.
    const local = await scanPdf(new MemoryBytes(pdf), DEFAULT_LIMITS);
    expect(local.hits.map((h) => h.kind).sort()).toEqual(['pdf-javascript', 'pdf-launch', 'pdf-open-action']);
  });

  it('reads the data when the length lies, is indirect, or is small', async () => {
    for (const length of [String(image.length - 100), '9 0 R', String(image.length + 5000)]) {
      const scan = await scanPdf(remote(pdfWith(image, length)).source, DEFAULT_LIMITS);
      expect(scan.hits.map((h) => h.kind).sort(), length).toEqual([
        'pdf-javascript',
        'pdf-launch',
        'pdf-open-action',
      ]);
    }
    const small = Buffer.concat([Buffer.alloc(1000, 0xa5), Buffer.from('/Launch')]);
    const scan = await scanPdf(remote(pdfWith(small, String(small.length))).source, DEFAULT_LIMITS);
    expect(scan.hits.map((h) => h.kind)).toContain('pdf-launch');
  });

  it('still inflates a large object stream it steps over', async () => {
    const { deflateSync } = await import('node:zlib');
    const objects = Buffer.concat([
      Buffer.from('3 0 4 30 '),
      Buffer.alloc(40 * 1024, 0x20),
      Buffer.from('<< /S /Launch /F (calc.exe) >>'),
    ]);
    const compressed = Buffer.concat([deflateSync(objects), Buffer.alloc(20 * 1024)]);
    const pdf = Buffer.concat([
      Buffer.from(
        `%PDF-1.7\n5 0 obj\n<< /Type /ObjStm /N 2 /First 9 /Filter /FlateDecode /Length ${compressed.length} >>\nstream\n`,
      ),
      compressed,
      Buffer.from('\nendstream\nendobj\n'),
    ]);
    const scan = await scanPdf(remote(pdf).source, DEFAULT_LIMITS);
    expect(scan.hits.map((h) => h.kind)).toEqual(['pdf-launch']);
  });
});

describe('scanPdf at the end of its bytes', () => {
  it('a name cut off by the end of the file is no read error', async () => {
    for (const text of ['%PDF-1.7\n<< /Open', '%PDF-1.7\n<< /Embed', '%PDF-1.7\n<< /O'])
      expect((await scanPdf(new MemoryBytes(Buffer.from(text)), DEFAULT_LIMITS)).hits).toEqual([]);
  });
});
