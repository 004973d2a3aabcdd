/**
 * The check server's one V8 setting, in one place because it is a measured tuning, not logic.
 *
 * Each upload's body arrives as Node's socket buffers, memory outside the JavaScript heap: a
 * megabyte of it per 1 MiB upload. V8 counts that churn toward its next full collection, and
 * with the server's small live heap (about 9 MB) it ran one every few dozen uploads, each
 * stopping the event loop for 1-5 ms; those stops were the check's p99 latency. A heap
 * growing factor of 5 lets the old generation reach five times its live size before V8 marks
 * it (some tens of MB here), so full collections become rare. `npm run bench -- --only serve`
 * measures the latency this is for.
 *
 * V8 reads this flag each time it sets its next limit, so it can be set after start-up (the
 * start-up sizes, such as --initial-old-space-size, cannot). Only `upload-audit serve` sets it:
 * scans keep V8's default growth and their memory bound.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneHeapForServing(): void {
  setFlagsFromString('--heap-growing-percent=400');
}
