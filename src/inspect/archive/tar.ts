import type { ArchiveEntryFacts } from '../../model/types.js';
import { printableBytes } from '../../util/escape.js';
import { type ArchiveContext, type OpenNested, readEntryContent } from './context.js';

const BLOCK = 512;

/** Exact-size reads from a chunk stream; never holds more than one request in memory. */
class ByteReader {
  #chunks: Buffer[] = [];
  #available = 0;
  #done = false;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  async #fill(n: number): Promise<void> {
    while (this.#available < n && !this.#done) {
      const next = await this.source.next();
      if (next.done) this.#done = true;
      else {
        this.#chunks.push(next.value);
        this.#available += next.value.length;
      }
    }
  }

  /** Up to n bytes, as chunks (fewer only at the end of the stream). */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      await this.#fill(1);
      const chunk = this.#chunks.shift();
      if (!chunk) return;
      const used = Math.min(left, chunk.length);
      if (used < chunk.length) this.#chunks.unshift(chunk.subarray(used));
      this.#available -= used;
      left -= used;
      yield chunk.subarray(0, used);
    }
  }

  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of this.take(n)) parts.push(part);
    return Buffer.concat(parts);
  }

  async skip(n: number): Promise<number> {
    let skipped = 0;
    for await (const part of this.take(n)) skipped += part.length;
    return skipped;
  }
}

const text = (block: Buffer, start: number, length: number): Buffer => {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return end < 0 ? field : field.subarray(0, end);
};

/** Octal, or base-256 when the high bit of the first byte is set (GNU), for huge sizes. */
function numeric(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const digits = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  return digits === '' ? 0 : Number.parseInt(digits, 8);
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === numeric(block, 148, 8);
}

const KINDS: Record<string, ArchiveEntryFacts['kind']> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '5': 'directory',
};

/** pax records: `len key=value\n`; we need path, linkpath and size. */
function pax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of data.toString('utf8').split('\n')) {
    const match = /^\d+ ([^=]+)=(.*)$/.exec(line);
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}

/** Walk a tar stream: headers, pax and GNU long names, links; entry data read within the budget. */
export async function walkTar(
  source: AsyncIterable<Buffer>,
  ctx: ArchiveContext,
  depth: number,
  prefix: string,
  openNested: OpenNested,
): Promise<void> {
  const reader = new ByteReader(source[Symbol.asyncIterator]());
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  let extended: Record<string, string> = {};
  for (;;) {
    const block = await reader.read(BLOCK);
    if (block.length < BLOCK) {
      if (block.length > 0)
        ctx.incomplete.push({ limit: 'read-error', detail: 'the tar stream ends inside a header' });
      return;
    }
    if (block.every((b) => b === 0)) return;
    if (!checksumOk(block)) throw new Error('a tar header has a bad checksum');
    const type = String.fromCharCode(block[156]!);
    const size = Number(extended.size ?? numeric(block, 124, 12));
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L' || type === 'K' || type === 'x') {
      const data = await reader.read(Math.min(size, 64 * 1024));
      await reader.skip(padded - data.length);
      if (type === 'L') longName = text(data, 0, data.length);
      else if (type === 'K') longLink = text(data, 0, data.length);
      else extended = pax(data);
      continue;
    }
    if (type === 'g') {
      await reader.skip(padded);
      continue;
    }
    const ustarPrefix = block.subarray(257, 263).toString('latin1').startsWith('ustar')
      ? text(block, 345, 155)
      : Buffer.alloc(0);
    const rawName =
      extended.path !== undefined
        ? Buffer.from(extended.path)
        : (longName ??
          (ustarPrefix.length > 0
            ? Buffer.concat([ustarPrefix, Buffer.from('/'), text(block, 0, 100)])
            : text(block, 0, 100)));
    const rawLink =
      extended.linkpath !== undefined ? Buffer.from(extended.linkpath) : (longLink ?? text(block, 157, 100));
    longName = longLink = undefined;
    extended = {};
    const kind = KINDS[type] ?? 'other';
    const facts: ArchiveEntryFacts = {
      path: prefix + printableBytes(rawName),
      kind,
      declaredSize: size,
      depth,
    };
    if (kind === 'symlink' || kind === 'hardlink') facts.linkTarget = printableBytes(rawLink);
    if (!ctx.add(facts)) return;
    if (kind === 'file' && size > 0 && ctx.budgetLeft > 0) {
      let stopped = false;
      await readEntryContent(ctx, facts, reader.take(size), openNested, () => {
        stopped = true;
      });
      if (stopped) return;
      const read = facts.actualSize ?? 0;
      if (read < size) {
        ctx.incomplete.push({
          limit: 'read-error',
          detail: `${facts.path} declares ${size} bytes but the archive ends after ${read}`,
        });
        return;
      }
      await reader.skip(padded - size);
    } else {
      const skipped = await reader.skip(padded);
      ctx.consumed += skipped;
      if (skipped < padded) {
        ctx.incomplete.push({
          limit: 'read-error',
          detail: `${facts.path} declares ${size} bytes but the archive ends first`,
        });
        return;
      }
      if (ctx.budgetLeft <= 0) {
        ctx.hit('maxInflateBytes', 'the archive is larger than the read budget');
        return;
      }
    }
  }
}
