import { fileTypeFromBuffer } from 'file-type';
import type { DetectedType } from '../types.js';
import { looksLikeText, sniffText, TEXT_SNIFF_BYTES } from './sniff.js';

const sig = (ext: string, mime: string): DetectedType => ({ ext, mime, source: 'signature' });

const startsWith = (head: Uint8Array, bytes: readonly number[], at = 0): boolean =>
  bytes.every((b, i) => head[at + i] === b);

/** The formats most uploads are, checked before file-type because they are most of the work. */
function commonSignature(head: Uint8Array): DetectedType | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return sig('jpg', 'image/jpeg');
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return sig('png', 'image/png');
  if (
    startsWith(head, [0x47, 0x49, 0x46, 0x38]) &&
    (head[4] === 0x37 || head[4] === 0x39) &&
    head[5] === 0x61
  ) {
    return sig('gif', 'image/gif');
  }
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) return sig('pdf', 'application/pdf');
  if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)) {
    return sig('webp', 'image/webp');
  }
  return undefined;
}

/** Detect a content type from the head bytes alone: signatures first, then text sniffing. */
export async function detectType(head: Uint8Array): Promise<DetectedType | undefined> {
  if (head.length === 0) return undefined;
  const common = commonSignature(head);
  if (common) return common;
  // file-type knows binary signatures only; text goes straight to our own sniffing.
  if (looksLikeText(head.subarray(0, TEXT_SNIFF_BYTES))) return sniffText(head);
  const found = await fileTypeFromBuffer(head);
  if (found && found.ext !== 'xml') return sig(found.ext, found.mime);
  return sniffText(head) ?? (found && sig(found.ext, found.mime));
}
