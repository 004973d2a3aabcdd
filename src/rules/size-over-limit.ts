import { typeClassOf } from '../inspect/filetypes.js';
import { defineRule, draft } from './define.js';

export default defineRule({
  id: 'size/over-limit',
  category: 'size',
  defaultSeverity: 'medium',
  description: 'The file is larger than the size limit for its type class.',
  rationale:
    'Oversized uploads fill disks, slow every backup and scan, and are how decompression and parser bombs arrive. A limit the handler should have enforced was not.',
  fix: 'Delete or move the file, or raise the limit for that type class or folder in the policy.',
  kinds: ['file'],
  messages: {
    overLimit: '{size|bytes} is over the {limit|bytes} limit for {typeClass} files',
  },
  check(file, { policy }) {
    const byExtension = typeClassOf(file.nameInfo.extension);
    const typeClass = byExtension !== 'other' ? byExtension : typeClassOf(file.detected?.ext);
    const limit = policy.sizeLimits[typeClass];
    if (file.size <= limit) return undefined;
    return draft('overLimit', { size: file.size, limit, typeClass });
  },
});
