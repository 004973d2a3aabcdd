/**
 * Deterministic benchmark inputs: a realistic upload tree (date-sharded folders, mostly images,
 * some documents and archives, a few percent of problems) and multi-million-line upload logs.
 * The same size always gives the same bytes, so runs on different days compare.
 */
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { elf, gif, jpeg, pdf, png, zip } from '../test-support/bytes.js';

/** mulberry32: a small seeded PRNG, good enough to shuffle file kinds reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FILES_PER_FOLDER = 100;

/** What one file is: name suffix and bytes. About 3% are problems, unless the tree is clean. */
function fileFor(i: number, random: () => number, clean: boolean): [string, Buffer] {
  const pad = (bytes: Buffer): Buffer =>
    Buffer.concat([bytes, Buffer.alloc(Math.floor(random() * 6000), i & 0xff)]);
  const r = random();
  if (r < 0.45) return [`IMG_${i}.jpg`, pad(jpeg())];
  if (r < 0.7) return [`photo-${i}.png`, pad(png(4, 4))];
  if (r < 0.78) return [`anim-${i}.gif`, pad(gif())];
  if (r < 0.88) return [`doc-${i}.pdf`, pdf()];
  if (r < 0.92) return [`bundle-${i}.zip`, zip({ 'a.jpg': jpeg(), 'notes.txt': 'x'.repeat(200) })];
  if (r < 0.97 || clean) return [`notes-${i}.txt`, Buffer.from(`note ${i}\n`.repeat(20))];
  // problems
  const p = Math.floor(random() * 5);
  if (p === 0) return [`shell-${i}.php.jpg`, Buffer.from('<?php echo 1; ?>')];
  if (p === 1) return [`avatar-${i}.png`, elf()];
  if (p === 2) return [`x${i}.phtml`, Buffer.from('<?php')];
  if (p === 3) return [`thumb-${i}.png`, pad(jpeg())];
  return [`empty-${i}.jpg`, Buffer.alloc(0)];
}

/** Beside the tree, not in it: a dotfile inside would be a finding of its own. */
export const completeMarker = (dir: string): string => `${dir}.complete`;

/**
 * Date-sharded folders of FILES_PER_FOLDER files, as upload handlers lay them out: the folder of
 * file `i` (made now) when it is the first of its folder, undefined otherwise.
 */
export function dateFolder(dir: string, i: number): string | undefined {
  if (i % FILES_PER_FOLDER !== 0) return undefined;
  const day = Math.floor(i / FILES_PER_FOLDER);
  const folder = join(
    dir,
    String(2020 + Math.floor(day / 365)),
    String(1 + (Math.floor(day / 31) % 12)).padStart(2, '0'),
    String(1 + (day % 31)).padStart(2, '0'),
  );
  mkdirSync(folder, { recursive: true });
  return folder;
}

/** Whether generateTree finished writing `dir` in an earlier run. */
export const treeIsGenerated = (dir: string): boolean => existsSync(completeMarker(dir));

/**
 * Write the tree once into `dir` (skipped when it is already there, marked complete). A clean
 * tree has text notes where the problems would be: nothing in it makes a finding.
 */
export function generateTree(dir: string, files: number, { clean = false } = {}): void {
  const marker = completeMarker(dir);
  if (existsSync(marker)) return;
  rmSync(join(dir, '.bench-complete'), { force: true }); // where earlier versions kept it
  const random = prng(files);
  let folder = '';
  for (let i = 0; i < files; i++) {
    folder = dateFolder(dir, i) ?? folder;
    const [name, bytes] = fileFor(i, random, clean);
    writeFileSync(join(folder, name), bytes);
  }
  writeFileSync(marker, String(files));
}

async function writeLines(
  file: string,
  lines: number,
  line: (i: number, random: () => number) => string,
): Promise<void> {
  if (existsSync(file)) return;
  const random = prng(lines);
  const out = createWriteStream(`${file}.partial`);
  let chunk = '';
  for (let i = 0; i < lines; i++) {
    chunk += line(i, random);
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((resolve) => out.on('finish', () => resolve()));
  const { renameSync } = await import('node:fs');
  renameSync(`${file}.partial`, file);
}

const logFiles = (dir: string, lines: number): { jsonl: string; access: string } => ({
  jsonl: join(dir, `uploads-${lines}.jsonl`),
  access: join(dir, `access-${lines}.log`),
});

/** Whether generateLogs wrote both logs of `lines` lines in an earlier run. */
export const logsAreGenerated = (dir: string, lines: number): boolean =>
  Object.values(logFiles(dir, lines)).every((file) => existsSync(file));

/** A JSON Lines upload log and a combined access log of `lines` lines each. */
export async function generateLogs(dir: string, lines: number): Promise<{ jsonl: string; access: string }> {
  mkdirSync(dir, { recursive: true });
  const { jsonl, access } = logFiles(dir, lines);
  await writeLines(jsonl, lines, (i, random) => {
    const bad = random() < 0.02;
    const name = bad ? `shell-${i}.php.jpg` : `IMG_${i}.jpg`;
    return `${JSON.stringify({ timestamp: '2024-03-14T09:12:01Z', user: `u${i % 5000}`, ip: `203.0.113.${i % 250}`, original_filename: name, stored_path: `2024/03/14/${i}.jpg`, size: 40000 + (i % 9000), content_type: 'image/jpeg', status: 'stored' })}\n`;
  });
  await writeLines(access, lines, (i, random) => {
    const r = random();
    const request =
      r < 0.7
        ? `GET /media/2024/03/${i}.jpg?v=1.2.3`
        : r < 0.98
          ? `POST /upload?filename=IMG_${i}.jpg`
          : `POST /upload?filename=..%2f..%2fshell${i}.php`;
    return `203.0.113.${i % 250} - - [14/Mar/2024:09:12:01 +0000] "${request} HTTP/1.1" 201 512 "-" "Mozilla/5.0"\n`;
  });
  return { jsonl, access };
}
