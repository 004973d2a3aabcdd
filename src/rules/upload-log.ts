import { contentKindOf } from '../inspect/filetypes.js';
import type { InspectedFile } from '../model/types.js';
import { ownValue } from '../util/own.js';
import { defineRule, draft } from './define.js';
import { mimeMismatch } from './mime.js';

/** Extensions each common declared Content-Type fits. Unknown or generic types are not judged. */
const TYPE_EXTENSIONS: Record<string, readonly string[]> = {
  'image/jpeg': ['jpg', 'jpeg', 'jpe', 'jfif'],
  'image/pjpeg': ['jpg', 'jpeg'],
  'image/png': ['png', 'apng'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'image/bmp': ['bmp'],
  'image/tiff': ['tif', 'tiff'],
  'image/heic': ['heic', 'heif'],
  'image/avif': ['avif'],
  'image/svg+xml': ['svg'],
  'image/x-icon': ['ico'],
  'image/vnd.microsoft.icon': ['ico'],
  'application/pdf': ['pdf'],
  'application/zip': ['zip', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'epub', 'jar', 'apk'],
  'application/gzip': ['gz', 'tgz'],
  'application/x-tar': ['tar'],
  'application/json': ['json'],
  'text/csv': ['csv'],
  'text/plain': ['txt', 'log', 'csv', 'md', 'text'],
  'text/html': ['html', 'htm'],
  'application/msword': ['doc'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['docx'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['xlsx'],
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': ['pptx'],
  'video/mp4': ['mp4', 'm4v'],
  'audio/mpeg': ['mp3'],
  'application/x-php': ['php'],
  'application/x-httpd-php': ['php'],
  'text/x-php': ['php'],
  'application/x-msdownload': ['exe', 'dll'],
  'application/x-sh': ['sh'],
};

/** The media type of a Content-Type header, lower-cased, without parameters. */
function mimeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** Does the declared type fit the extension? undefined when we cannot say. */
function declaredFits(file: InspectedFile): boolean | undefined {
  const mime = mimeOf(file.declared?.contentType);
  const ext = file.nameInfo.extension;
  if (mime === undefined || ext === undefined) return undefined;
  const fits = ownValue(TYPE_EXTENSIONS, mime);
  return fits === undefined ? undefined : fits.includes(ext);
}

export const declaredTypeRule = defineRule({
  id: 'mime-mismatch/declared-type',
  category: 'mime-mismatch',
  defaultSeverity: 'medium',
  description:
    'Upload logs and buckets: the Content-Type the client declared (or the bucket stored) does not fit the file name’s extension.',
  rationale:
    'Attackers set Content-Type: image/jpeg on shell.php because handlers that check only the header let it through; honest clients rarely disagree with themselves.',
  fix: 'Make the handler ignore the declared type and check the content; look at what this client uploaded.',
  kinds: ['upload', 'file'],
  messages: { declared: 'the client declared {declaredType} for a .{extension} name' },
  check(file) {
    if (declaredFits(file) !== false) return undefined;
    return draft('declared', {
      declaredType: mimeOf(file.declared?.contentType)!,
      extension: file.nameInfo.extension!,
    });
  },
});

export const threeWayRule = defineRule({
  id: 'mime-mismatch/three-way',
  category: 'mime-mismatch',
  defaultSeverity: 'high',
  description:
    'Upload logs with --root, and buckets: the extension, the declared (or stored) Content-Type and the content do not all agree.',
  rationale:
    'Each of the three can be forged alone; a file whose name, header and bytes tell three different stories passed a check that looked at only one of them.',
  fix: 'Quarantine the stored file; make the handler derive the type from the content and store it under a matching name.',
  kinds: ['upload', 'file'],
  messages: {
    disagree: 'name .{extension}, declared {declaredType}, stored content {detectedType}: {disagreement}',
  },
  check(file) {
    const detected = file.detected;
    const ext = file.nameInfo.extension;
    if (!detected || ext === undefined) return undefined;
    const declared = mimeOf(file.declared?.contentType);
    // A stored file with no declared type (on disk) is mime-mismatch's alone.
    if (file.kind !== 'upload' && declared === undefined) return undefined;
    const problems: string[] = [];
    if (declaredFits(file) === false) problems.push('name vs declared');
    const contentKind = contentKindOf(detected.ext);
    if (mimeMismatch(file) !== undefined) problems.push('name vs content');
    if (declared !== undefined && declared !== 'application/octet-stream' && declared !== detected.mime) {
      const family = (m: string) => m.split('/')[0];
      if (
        !(ownValue(TYPE_EXTENSIONS, declared)?.includes(detected.ext) ?? false) &&
        family(declared) !== family(detected.mime)
      )
        problems.push('declared vs content');
      else if (contentKind === 'executable' || contentKind === 'server-script')
        problems.push('declared vs content');
    }
    if (problems.length === 0) return undefined;
    return draft('disagree', {
      extension: ext,
      declaredType: declared ?? '(none)',
      detectedType: detected.mime,
      disagreement: problems.join(', '),
    });
  },
});

export const rejectedButStoredRule = defineRule({
  id: 'dangerous-extension/rejected-but-stored',
  category: 'dangerous-extension',
  defaultSeverity: 'high',
  description: 'Upload logs with --root: the log says the upload was rejected, but the file is stored.',
  rationale:
    'A handler that writes first and validates later (or whose rejection path forgets to delete) leaves exactly the files it meant to refuse on disk, often reachable by URL.',
  fix: 'Quarantine the stored file; make the handler validate before writing, or delete on rejection.',
  kinds: ['upload'],
  messages: { stored: 'the log says this upload was rejected, but it is stored on disk' },
  check: (file) =>
    file.declared?.accepted === false && file.declared.storedOnDisk ? draft('stored') : undefined,
});

/** Answers that mean the script ran: success, and the redirects a script sends (a login page, say). */
const RAN = (status: number): boolean => (status >= 200 && status < 300) || status === 302 || status === 303;

export const scriptRunRule = defineRule({
  id: 'dangerous-extension/script-run',
  category: 'dangerous-extension',
  defaultSeverity: 'critical',
  description:
    'Access logs: a request ran a server script inside an upload folder, handed a file there a shell command (cmd=id), or had a script include one (page=../uploads/a.jpg, phar://), and was answered (a web shell in use).',
  rationale:
    'An upload folder holds data. A script there that answers requests is a web shell, and the log shows it being used: by whom, when, and that the server ran it. An "image" asked to run whoami is a polyglot the server executes (a handler or an .htaccess that runs it as a script). Requests answered 4xx or 5xx are probes that did not run, and are not reported.',
  fix: 'Treat the host as compromised: quarantine the script (with --root the finding says whether it is still stored), block the client, find what it ran; deny script execution in upload folders.',
  kinds: ['request'],
  messages: {
    ran: '{method} of the script {script} inside an upload folder was answered {status}, for {client} at {time}{stored}',
    ranCommand:
      '{method} of {script} inside an upload folder, with the shell command {command} in its query, was answered {status}, for {client} at {time}{stored}',
    ranInclude:
      '{method} of {page} made it include the upload {script} ({parameter}), answered {status}, for {client} at {time}{stored}',
  },
  check(file) {
    const request = file.request;
    if (!request || !RAN(request.status)) return undefined;
    const stored =
      request.stored === 'present'
        ? '; it is still stored under --root'
        : request.stored === 'absent'
          ? '; it is no longer stored under --root'
          : '';
    const messageId = request.include ? 'ranInclude' : request.command === undefined ? 'ran' : 'ranCommand';
    return draft(messageId, {
      ...(request.command !== undefined && { command: request.command }),
      ...(request.include !== undefined && request.include),
      method: request.method,
      script: file.path,
      status: request.status,
      client: request.client ?? 'an unknown client',
      time: request.time ?? 'an unknown time',
      stored,
    });
  },
});

/** Declared types a browser renders as a page (and runs the scripts of), and the names that may carry them. */
const MARKUP_TYPES: Record<string, readonly string[]> = {
  'text/html': ['html', 'htm', 'xhtml'],
  'application/xhtml+xml': ['xhtml', 'xht', 'html', 'htm'],
  'image/svg+xml': ['svg', 'svgz'],
  'text/xml': ['xml', 'svg', 'xsd', 'rss', 'atom'],
  'application/xml': ['xml', 'svg', 'xsd', 'rss', 'atom'],
};

export const declaredMarkupRule = defineRule({
  id: 'active-content/declared-markup',
  category: 'active-content',
  defaultSeverity: 'high',
  description:
    'Upload logs and buckets: the client declared (or the bucket serves) a type browsers render as a page (text/html, SVG, XML) for a name that is not one.',
  rationale:
    'A service that stores and serves the declared Content-Type sends this "image" as HTML: the browser runs whatever script it holds, on your origin. Stored cross-site scripting through an avatar.',
  fix: 'Make the handler set the Content-Type from the checked content and serve uploads with nosniff and Content-Disposition: attachment; look at this file.',
  kinds: ['upload', 'file'],
  messages: {
    markup: 'the client declared {declaredType}, which browsers render as a page, for a .{extension} name',
  },
  check(file) {
    const mime = mimeOf(file.declared?.contentType);
    const fits = mime === undefined ? undefined : ownValue(MARKUP_TYPES, mime);
    const ext = file.nameInfo.extension;
    if (fits === undefined || (ext !== undefined && fits.includes(ext))) return undefined;
    return draft('markup', { declaredType: mime!, extension: ext ?? '(none)' });
  },
});

/** Names browsers render as a page when the upload is served back (by extension alone). */
const PAGE_EXTENSIONS = new Set(['html', 'htm', 'xhtml', 'xht', 'mht', 'mhtml']);

export const pageUploadRule = defineRule({
  id: 'active-content/page-upload',
  category: 'active-content',
  defaultSeverity: 'high',
  description:
    'Upload logs: a file uploaded under a name browsers render as a page (.html, .htm, .xhtml, .xht, .mht). A log holds no content to look at; the name is enough.',
  rationale:
    'Served back from the upload folder, the page runs its script on your origin, with your users’ cookies: stored cross-site scripting and phishing hosted on your own domain. A folder on disk is judged by content; a log only by the name it records.',
  fix: 'Find the stored file and quarantine it; make the handler refuse page types, or serve uploads from another domain as attachments with nosniff.',
  kinds: ['upload'],
  messages: { page: 'an upload named .{extension}, which browsers render as a page' },
  check(file) {
    const ext = file.nameInfo.effectiveExtension ?? file.nameInfo.extension;
    return ext !== undefined && PAGE_EXTENSIONS.has(ext) ? draft('page', { extension: ext }) : undefined;
  },
});
