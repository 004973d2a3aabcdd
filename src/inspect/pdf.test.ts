import { describe, expect, it } from 'vitest';
import { MemoryBytes } from '../serve/body.js';
import fc from '../test-support/fast-check.js';
import { DEFAULT_LIMITS } from './limits.js';
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
  if (/\/EmbeddedFiles?\b/.test(clean)) kinds.push('pdf-embedded-file');
  if (
    /\/(?:OpenAction|AA)\s*<<[^>]*\/S\s*\/(?:JavaScript|Launch|SubmitForm|ImportData|GoToE|GoToR|Rendition)\b/.test(
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

  it('sees /Encrypt in the trailer, not /EncryptMetadata', async () => {
    const scan = async (text: string) =>
      (await scanPdf(new MemoryBytes(Buffer.from(`%PDF-1.7\n${text}`)), DEFAULT_LIMITS)).encrypted;
    expect(await scan('trailer << /Size 9 /Encrypt 5 0 R >>')).toBe(true);
    expect(await scan('<< /EncryptMetadata false >>')).toBe(false);
  });
});

describe('scanPdf at the end of its bytes', () => {
  it('a name cut off by the end of the file is no read error', async () => {
    for (const text of ['%PDF-1.7\n<< /Open', '%PDF-1.7\n<< /Embed', '%PDF-1.7\n<< /O'])
      expect((await scanPdf(new MemoryBytes(Buffer.from(text)), DEFAULT_LIMITS)).hits).toEqual([]);
  });
});
