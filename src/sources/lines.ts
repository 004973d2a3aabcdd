/**
 * Lines of a log, streamed with constant memory: gzip is detected by its magic bytes and inflated
 * as a stream, and a line longer than maxLineBytes is skipped to its end without being buffered.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { peek } from '../streams.js';

/** The longest log line parsed; longer lines are counted and reported, not read. */
export const MAX_LOG_LINE_BYTES = 64 * 1024;

export type Line =
  | { number: number; text: Buffer }
  | { number: number; tooLong: number }
  | { number: number; error: string };

export const GZIP_MAGIC = [0x1f, 0x8b];

const CHUNK_BYTES = 256 * 1024;

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

/** Split bytes into lines (without `\n`, trailing `\r` dropped), bounding each line's bytes. */
export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes = MAX_LOG_LINE_BYTES,
): AsyncGenerator<Line> {
  for await (const batch of splitLineBatches(chunks, maxLineBytes)) yield* batch;
}

/**
 * The lines of each chunk as one batch: one await per chunk (256 KiB) instead of one per line,
 * which cost more than splitting itself on logs of millions of short lines.
 */
export async function* splitLineBatches(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes = MAX_LOG_LINE_BYTES,
): AsyncGenerator<Line[]> {
  let number = 0;
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
  const finish = (): Line => {
    number++;
    if (overlong !== undefined) {
      const tooLong = overlong;
      overlong = undefined;
      return { number, tooLong };
    }
    const text = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    parts = [];
    size = 0;
    const end = text.length > 0 && text[text.length - 1] === 0x0d ? text.length - 1 : text.length;
    return { number, text: text.subarray(0, end) };
  };
  try {
    for await (const chunk of chunks) {
      const batch: Line[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        add(chunk.subarray(start, nl));
        batch.push(finish());
        start = nl + 1;
      }
      // A partial line outlives this chunk: copy it so the chunk's memory can go.
      if (start < chunk.length) add(Buffer.from(chunk.subarray(start)));
      if (batch.length > 0) yield batch;
    }
  } catch (error) {
    yield [{ number: number + 1, error: error instanceof Error ? error.message : String(error) }];
    return;
  }
  if (overlong !== undefined || size > 0) yield [finish()];
}
