import type { PredicateMeta, Rule } from './define.js';
import { predicateRule } from './define.js';
import { type MimeVerdict, mimeMismatch } from './mime.js';

/** One rule per verdict of the shared classifier, so the policy can weigh each on its own. */
function verdictRule(
  verdict: MimeVerdict,
  { messageId, ...meta }: PredicateMeta & { messageId: string },
): Rule {
  return predicateRule({ category: 'mime-mismatch', kinds: ['file'], messageId }, meta, (file) => {
    const result = mimeMismatch(file);
    return result?.verdict === verdict ? result.evidence : undefined;
  });
}

export const executableRule = verdictRule('executable', {
  id: 'mime-mismatch/executable',
  defaultSeverity: 'critical',
  description:
    'Executable or server-side script content (ELF, PE, Mach-O, shebang, PHP, ASP, JSP) stored under a harmless extension.',
  rationale:
    'A PNG that is really an ELF binary or a JPEG that is really PHP is a payload waiting for a second bug: a file-inclusion flaw, a misconfigured handler or a curious operator runs it.',
  fix: 'Quarantine the file and investigate how it was uploaded; make the handler check content signatures, not names.',
  messageId: 'executableContent',
  message: 'the content is {detectedType} but the extension is {extension}',
});

export const markupRule = verdictRule('markup', {
  id: 'mime-mismatch/markup',
  defaultSeverity: 'high',
  description: 'HTML, SVG or XML markup stored under an image or document extension.',
  rationale:
    'Browsers that sniff content render markup as a page on your origin: stored cross-site scripting through an image URL.',
  fix: 'Quarantine the file; serve uploads with X-Content-Type-Options: nosniff and a Content-Disposition of attachment.',
  messageId: 'markupContent',
  message: 'the content is {detectedType} but the extension is {extension}',
});

export const playlistRule = verdictRule('playlist', {
  id: 'mime-mismatch/playlist',
  defaultSeverity: 'high',
  description: 'An HLS/M3U playlist stored under an audio or video extension (.mp4, .avi …).',
  rationale:
    'Video converters (ffmpeg and what wraps it) open a playlist and follow what it lists: local files (file:, concat:) end up in the output thumbnail or transcode, network URLs are fetched from the server (SSRF).',
  fix: 'Quarantine the file; make the handler check media signatures and run converters with protocols restricted (-protocol_whitelist).',
  messageId: 'playlist',
  message: 'the content is an HLS/M3U playlist but the extension is {extension}',
});

export const imageTypeRule = verdictRule('image-type', {
  id: 'mime-mismatch/image-type',
  defaultSeverity: 'low',
  description: 'An image of another format than its extension says (a PNG named .jpg).',
  rationale:
    'Usually harmless, but it shows that the handler trusts names, and image libraries pick parsers by name: the wrong parser on hostile bytes is how image-library bugs are reached.',
  fix: 'Rename the file to its real extension, or re-encode it; make the handler derive the extension from the content.',
  messageId: 'otherImage',
  message: 'the content is {detectedType} but the extension is {extension}',
});

export const wrongTypeRule = verdictRule('wrong-type', {
  id: 'mime-mismatch/wrong-type',
  defaultSeverity: 'medium',
  description:
    'The content is a recognized format of another kind than the extension says (an archive named .pdf).',
  rationale:
    'Disguised archives and documents smuggle content past filters that check only the extension, and are opened by the wrong program.',
  fix: 'Quarantine or rename the file; make the handler check that signature and extension agree.',
  messageId: 'wrongType',
  message: 'the content is {detectedType} but the extension is {extension}',
});

export const unrecognizedRule = verdictRule('unrecognized', {
  id: 'mime-mismatch/unrecognized',
  defaultSeverity: 'medium',
  description:
    'A binary-format extension (.jpg, .png, .pdf, .zip …) whose content has no recognizable signature.',
  rationale:
    'A real image or document always starts with its signature. Content without one is corrupt, encrypted, or something that only pretends to be that type.',
  fix: 'Inspect the file; delete it if it is corrupt, quarantine it if it is not what it claims.',
  messageId: 'unrecognized',
  message: 'the extension is {extension} but the content has no matching signature',
});
