import { defineRule, draft } from './define.js';

const typeAllowed = (mime: string | undefined, allowed: readonly string[]): boolean =>
  allowed.length === 0 ||
  (mime !== undefined &&
    allowed.some((a) => a === mime || (a.endsWith('/*') && mime.startsWith(a.slice(0, -1)))));

export default defineRule({
  id: 'dangerous-extension/not-allowed',
  category: 'dangerous-extension',
  defaultSeverity: 'high',
  description:
    'In allowlist mode: a file whose extension, or detected content type, the policy does not allow.',
  rationale:
    'A denylist has to know every dangerous type; an allowlist only has to know what the folder is for. An avatars folder that allows jpg and png catches the .phar and the .svg nobody thought to deny.',
  fix: 'Remove the file, or add its type to `allow` for that folder in the policy.',
  kinds: ['file'],
  messages: {
    extension: 'the extension {extension} is not allowed here (allowed: {allowed})',
    type: 'the content is {detectedType}, which is not allowed here (allowed: {allowed})',
  },
  check(file, { policy }) {
    if (policy.mode !== 'allowlist') return undefined;
    const ext = file.nameInfo.extension;
    if (ext === undefined || !policy.allow.extensions.includes(ext)) {
      return draft('extension', {
        extension: ext === undefined ? '(none)' : `.${ext}`,
        allowed: policy.allow.extensions.join(', ') || 'none',
      });
    }
    const mime = file.detected?.mime;
    if (!typeAllowed(mime, policy.allow.types)) {
      return draft('type', { detectedType: mime ?? 'unrecognized', allowed: policy.allow.types.join(', ') });
    }
    return undefined;
  },
});
