/** Stable hash partitions of a tree, for `scan --shard K/N`. */
import { UsageError } from './errors.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || count > 10_000 || index < 1 || index > count) {
    throw new UsageError(`--shard '${text}': expected K/N with 1 <= K <= N, like 2/8`);
  }
  return { index, count };
}

/** FNV-1a over the raw relative path bytes: the same partition on every machine. */
export function shardOf(path: string | Buffer, count: number): number {
  const bytes = typeof path === 'string' ? Buffer.from(path) : path;
  let hash = 0x811c9dc5;
  for (const b of bytes) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return (hash % count) + 1;
}
