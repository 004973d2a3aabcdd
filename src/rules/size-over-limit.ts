import { typeClassOf } from '../inspect/filetypes.js';
import type { InspectedFile } from '../model/types.js';
import type { Policy } from '../policy/policy.js';
import { ownValue } from '../util/own.js';
import { defineRule, draft } from './define.js';

/** A file's size; for an upload record, what the client declared (unknown when it declared none). */
export const knownSize = (file: InspectedFile): number | undefined =>
  file.kind === 'upload' ? file.declared?.size : file.size;

/** The limit that applies: per extension, then per detected MIME type (exact, then `type/*`), then per class. */
function limitFor(file: InspectedFile, policy: Policy): { limit: number; by: string } {
  const ext = file.nameInfo.extension;
  const byName = ext === undefined ? undefined : ownValue(policy.extensionSizeLimits, ext);
  if (byName !== undefined) return { limit: byName, by: `.${ext} files` };
  const mime = file.detected?.mime;
  if (mime !== undefined) {
    const wildcard = `${mime.split('/')[0]}/*`;
    const byType = ownValue(policy.typeSizeLimits, mime) ?? ownValue(policy.typeSizeLimits, wildcard);
    if (byType !== undefined) return { limit: byType, by: `${mime} content` };
  }
  const byExtension = typeClassOf(ext);
  const typeClass = byExtension !== 'other' ? byExtension : typeClassOf(file.detected?.ext);
  return { limit: policy.sizeLimits[typeClass], by: `${typeClass} files` };
}

/** The smallest limit a policy sets anywhere: a file no larger is under every limit. */
const smallestLimits = new WeakMap<Policy, number>();
function smallestLimit(policy: Policy): number {
  let smallest = smallestLimits.get(policy);
  if (smallest === undefined) {
    smallest = Math.min(
      ...Object.values(policy.sizeLimits),
      ...Object.values(policy.typeSizeLimits),
      ...Object.values(policy.extensionSizeLimits),
    );
    smallestLimits.set(policy, smallest);
  }
  return smallest;
}

export default defineRule({
  id: 'size/over-limit',
  category: 'size',
  defaultSeverity: 'medium',
  description: 'The file is larger than the size limit for its extension, detected type or type class.',
  rationale:
    'Oversized uploads fill disks, slow every backup and scan, and are how decompression and parser bombs arrive. A limit the handler should have enforced was not.',
  fix: 'Delete or move the file, or raise the limit for that type or folder in the policy.',
  kinds: ['file', 'upload'],
  messages: {
    overLimit: '{size|bytes} is over the {limit|bytes} limit for {limitFor}',
  },
  check(file, { policy }) {
    const size = knownSize(file);
    if (size === undefined || size <= smallestLimit(policy)) return undefined;
    const { limit, by } = limitFor(file, policy);
    if (size <= limit) return undefined;
    return draft('overLimit', { size, limit, limitFor: by });
  },
});
