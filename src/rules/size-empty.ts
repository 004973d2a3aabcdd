import { defineRule, draft } from './define.js';
import { knownSize } from './size-over-limit.js';

export default defineRule({
  id: 'size/empty',
  category: 'size',
  defaultSeverity: 'low',
  description: 'The file is empty (or below the minimum size).',
  rationale:
    'An empty upload is a failed or aborted transfer that was stored anyway, or a probe: attackers upload empty files to learn where uploads land and how they are named.',
  fix: 'Delete the file, and make the upload handler reject bodies below the minimum size.',
  kinds: ['file', 'upload'],
  messages: {
    empty: 'the file is empty',
    tooSmall: '{size|bytes} is below the minimum of {minSize|bytes}',
  },
  check(file, { policy }) {
    const size = knownSize(file);
    if (size === undefined || size >= policy.minSize) return undefined;
    return size === 0 ? draft('empty', { size: 0 }) : draft('tooSmall', { size, minSize: policy.minSize });
  },
});
