import { readSync } from 'node:fs';

/** Read up to `length` bytes at `position` from an open file, retrying short reads; fewer only at EOF. */
export function readFully(fd: number, length: number, position = 0): Buffer {
  const out = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const n = readSync(fd, out, filled, length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return out.subarray(0, filled);
}
