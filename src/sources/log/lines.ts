/**
 * Lines of a log, streamed with constant memory: gzip is detected by its magic bytes and inflated
 * as a stream, and a line longer than maxLineBytes is skipped to its end without being buffered.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { peek } from '../../util/streams.js';

/** The longest log line parsed; longer lines are counted and reported, not read. */
export const MAX_LOG_LINE_BYTES = 64 * 1024;

/**
 * A line decoded as UTF-8 (invalid bytes become U+FFFD, as `Buffer#toString` does), with its
 * length in bytes; a line over the limit is only measured; a read error ends the lines.
 */
export type Line =
  | { number: number; text: string; bytes: number }
  | { number: number; tooLong: number }
  | { number: number; error: string };

export const GZIP_MAGIC = [0x1f, 0x8b];

const CHUNK_BYTES = 256 * 1024;

/**
 * A chunk's lines are decoded this many bytes at a time (whole lines; a longer line alone):
 * V8 gives every string of over 128 KiB pages of its own, mapped and unmapped each time, and
 * 32 KiB stays under that even as UTF-16 (docs/performance.md has the measurements).
 */
export const DECODE_BYTES = 32 * 1024;

/**
 * The bytes of a log source: a file (`-` is stdin), gunzipped when it starts with gzip's magic.
 * With a range, just those bytes of a plain file (a part of a log read by a worker).
 */
export async function* logBytes(
  file: string,
  range?: { start: number; end: number },
): AsyncGenerator<Buffer> {
  if (range) {
    if (range.end > range.start) {
      yield* createReadStream(file, { start: range.start, end: range.end - 1, highWaterMark: CHUNK_BYTES });
    }
    return;
  }
  const raw: Readable = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const peeked = await peek(raw as AsyncIterable<Buffer>);
  if (!peeked) return;
  const { first: head, all: rest } = peeked;
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
    yield* rest;
    return;
  }
  const gunzip = createGunzip();
  const pump = (async () => {
    try {
      for await (const chunk of rest)
        if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
      gunzip.end();
    } catch (error) {
      gunzip.destroy(error as Error);
    }
  })();
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    await pump.catch(() => undefined);
  }
}

/**
 * A copy of a string cut from a line that shares no memory with it. Lines are slices of a window
 * of decoded text, and V8 keeps the whole parent of a slice alive: a value kept in a finding must
 * not hold a 32 KiB window (with one finding per window, the whole log). Concatenating and
 * slicing makes V8 flatten the text into a string of its own.
 */
export const detached = (text: string): string => ` ${text}`.slice(1);

/** Split bytes into lines (without `\n`, trailing `\r` dropped), bounding each line's bytes. */
export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes = MAX_LOG_LINE_BYTES,
): AsyncGenerator<Line> {
  for await (const batch of splitLineBatches(chunks, maxLineBytes)) yield* batch;
}

/**
 * The lines of each chunk as one batch: one await per chunk (256 KiB) instead of one per line,
 * which cost more than splitting itself on logs of millions of short lines. The complete lines of
 * a chunk are decoded a window (DECODE_BYTES) at a time and sliced: a newline byte never sits
 * inside a UTF-8 sequence, so this decodes each line exactly as decoding it alone would, without
 * a Buffer and a string per line.
 */
export async function* splitLineBatches(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes = MAX_LOG_LINE_BYTES,
): AsyncGenerator<Line[]> {
  let number = 0;
  /** The start of a line that began in an earlier chunk (copied), while it fits the limit. */
  let parts: Buffer[] = [];
  let size = 0;
  /** Bytes of the current line once it is known to be too long; undefined while it is not. */
  let overlong: number | undefined;
  const add = (part: Buffer): void => {
    if (overlong !== undefined) overlong += part.length;
    else if (size + part.length > maxLineBytes) {
      overlong = size + part.length;
      parts = [];
      size = 0;
    } else if (part.length > 0) {
      parts.push(part);
      size += part.length;
    }
  };
  /** The line carried over from earlier chunks, ended by `tail`. */
  const finishCarried = (tail: Buffer): Line => {
    add(tail);
    number++;
    if (overlong !== undefined) {
      const tooLong = overlong;
      overlong = undefined;
      return { number, tooLong };
    }
    const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    parts = [];
    size = 0;
    const end = whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length;
    return { number, text: whole.toString('utf8', 0, end), bytes: end };
  };
  /** A line inside the decoded text: string offsets [from, to), `bytes` long before any CR is cut. */
  const sliced = (text: string, from: number, to: number, bytes: number): Line => {
    number++;
    if (bytes > maxLineBytes) return { number, tooLong: bytes };
    if (to > from && text.charCodeAt(to - 1) === 0x0d)
      return { number, text: text.slice(from, to - 1), bytes: bytes - 1 };
    return { number, text: text.slice(from, to), bytes };
  };
  try {
    for await (const chunk of chunks) {
      const batch: Line[] = [];
      let start = 0;
      const first = chunk.indexOf(0x0a);
      if (first !== -1 && (size > 0 || overlong !== undefined)) {
        batch.push(finishCarried(chunk.subarray(0, first)));
        start = first + 1;
      }
      const last = first === -1 ? -1 : chunk.lastIndexOf(0x0a);
      while (last >= start) {
        // Lines [start, end]: one decode per window; string offsets equal byte offsets when all is ASCII.
        let end = last;
        if (last - start >= DECODE_BYTES) {
          end = chunk.lastIndexOf(0x0a, start + DECODE_BYTES - 1);
          if (end < start) end = chunk.indexOf(0x0a, start + DECODE_BYTES);
        }
        const text = chunk.toString('utf8', start, end + 1);
        if (text.length === end + 1 - start) {
          let from = 0;
          for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
            batch.push(sliced(text, from, nl, nl - from));
            from = nl + 1;
          }
        } else {
          let from = 0;
          let byte = start;
          for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
            const byteNl = chunk.indexOf(0x0a, byte);
            batch.push(sliced(text, from, nl, byteNl - byte));
            from = nl + 1;
            byte = byteNl + 1;
          }
        }
        start = end + 1;
      }
      // A partial line outlives this chunk: copy it so the chunk's memory can go.
      if (start < chunk.length) add(Buffer.from(chunk.subarray(start)));
      if (batch.length > 0) yield batch;
    }
  } catch (error) {
    yield [{ number: number + 1, error: error instanceof Error ? error.message : String(error) }];
    return;
  }
  if (overlong !== undefined || size > 0) yield [finishCarried(Buffer.alloc(0))];
}
