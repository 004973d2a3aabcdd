/**
 * Large read buffers, reused from one item to the next within a thread.
 *
 * A PDF's pieces, a hash's pieces and a large file's sampled ends each took a buffer of up to a
 * MiB, allocated per file: on a tree of uploads, gigabytes of short-lived memory outside V8's
 * heap, which V8 answers with a full collection every few dozen MiB of it. A buffer is taken for
 * one item and given back once that item is done with it; items inspected at the same time (the
 * check server's requests) take different ones. Nothing may keep a view of a buffer given back.
 */

/** The size of a reused buffer: a PDF piece (1 MiB) and its overlap fit. */
const SCRATCH_BYTES = 1024 * 1024 + 64 * 1024;
/** Below this a buffer is allocated as before: small ones come from Node's own pool. */
const SMALLEST = 64 * 1024;
/** Buffers kept per thread for the next items. */
const KEEP = 4;

const free: ArrayBuffer[] = [];

/** An uninitialized buffer of `size` bytes, to be given back (`giveBack`) when done. */
export function takeScratch(size: number): Buffer {
  if (size < SMALLEST || size > SCRATCH_BYTES) return Buffer.allocUnsafe(size);
  // allocUnsafeSlow: a buffer of its own, not zero-filled (new ArrayBuffer would clear a MiB).
  return Buffer.from(free.pop() ?? (Buffer.allocUnsafeSlow(SCRATCH_BYTES).buffer as ArrayBuffer), 0, size);
}

/** Give back a buffer from takeScratch; one of another size is left to the collector. */
export function giveBack(buffer: Buffer): void {
  const whole = buffer.buffer;
  if (whole instanceof ArrayBuffer && whole.byteLength === SCRATCH_BYTES && free.length < KEEP)
    free.push(whole);
}
