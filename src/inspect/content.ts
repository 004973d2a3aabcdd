/**
 * Deep content checks for one open regular file, each within its named bound: the tail (appended
 * payloads), markup bodies, PDF actions, and archive listings. Facts only; rules judge.
 */
import type { InspectedFile, LimitHit } from '../types.js';
import { scanBinary, scanMarkup } from './active.js';
import { inspectArchive, nestedFormat } from './archive/index.js';
import type { Limits } from './limits.js';
import { scanPdf } from './pdf.js';
import { readFully } from './read.js';

/** Markers that must be present before the (slower) patterns run: most files have none. */
const MARKERS = ['<?', '<%', '<s', '<S', '<h', '<H', '<i', '<I', '<j', '__halt', '__HALT'].map((m) =>
  Buffer.from(m, 'latin1'),
);
const mayHoldCode = (bytes: Uint8Array): boolean => {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return MARKERS.some((m) => buf.includes(m));
};

/** Record on the file that a bound (or a read error) stopped part of its inspection. */
export function noteIncomplete(file: InspectedFile, hit: LimitHit): void {
  if (file.incomplete) file.incomplete.push(hit);
  else file.incomplete = [hit];
}

export async function inspectContent(
  fd: number,
  file: InspectedFile,
  tail: Uint8Array | undefined,
  limits: Limits,
): Promise<void> {
  const detected = file.detected;
  const head = file.head ?? new Uint8Array();
  const active = [];
  if (detected?.source === 'signature' || detected === undefined) {
    if (mayHoldCode(head)) active.push(...scanBinary(head, 'head'));
    if (tail && mayHoldCode(tail)) active.push(...scanBinary(tail, 'tail'));
  }
  if (detected && (detected.ext === 'svg' || detected.ext === 'xml' || detected.ext === 'html')) {
    const length = Math.min(file.size, limits.maxMarkupBytes);
    active.push(...scanMarkup(readFully(fd, length, 0).toString('utf8'), detected.ext));
    if (file.size > limits.maxMarkupBytes)
      noteIncomplete(file, {
        limit: 'maxMarkupBytes',
        detail: `only the first ${length} bytes were scanned`,
      });
  } else if (detected?.ext === 'pdf') {
    const length = Math.min(file.size, limits.maxPdfBytes);
    const scan = scanPdf(readFully(fd, length, 0), file.size > length, limits.maxInflateBytes);
    active.push(...scan.hits);
    for (const hit of scan.incomplete) noteIncomplete(file, hit);
  } else if (nestedFormat(detected)) {
    const result = await inspectArchive(fd, file.size, detected!, file.name, limits);
    if (result) {
      file.archive = result.facts;
      active.push(...result.ctx.active);
      for (const hit of result.ctx.incomplete) noteIncomplete(file, hit);
    }
  }
  if (active.length > 0) file.active = active;
}
