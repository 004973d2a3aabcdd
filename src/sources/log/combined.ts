/** nginx and Apache combined access logs: uploads are writes to upload paths. */
import { decodeRepeatedly } from '../../inspect/names.js';
import type { LogFormatModule, UploadRecord } from './record.js';

const COMBINED =
  /^(\S+) \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+)(?: \S+)?" (\d{3}) (?:\d+|-)(?: "[^"]*" "[^"]*")?/;
/**
 * COMBINED without captures, matching only requests that are not writes: the method runs from a
 * place the earlier fields fix, so this matches exactly when COMBINED does with a method other
 * than POST, PUT or PATCH. Most lines of an access log are reads; a test makes no match array
 * and no captured strings.
 */
const COMBINED_READ = /^\S+ \S+ \S+ \[[^\]]+\] "(?!(?:POST|PUT|PATCH) )\S+ \S+(?: \S+)?" \d{3} (?:\d+|-)/i;
const NAME_PARAMS = ['filename', 'file', 'name', 'fname', 'upload', 'path', 'key'];

/** Default --upload-path: requests to common upload endpoints. */
export const DEFAULT_UPLOAD_PATH =
  '/(?:upload|uploads|media|files?|attachments?|avatars?|images?)(?:/|\\?|$)';

/** The value of the first query parameter whose (decoded, lower-cased) key names a file. */
function nameParameter(url: string, from: number): string | undefined {
  while (from < url.length) {
    const amp = url.indexOf('&', from);
    const end = amp < 0 ? url.length : amp;
    const eq = url.indexOf('=', from);
    if (eq >= 0 && eq < end) {
      const raw = url.slice(from, eq);
      // Most keys need no decoding; a plus decodes to a space, which no name parameter has.
      const key = raw.includes('%') ? decodeRepeatedly(raw, PLUS_AS_SPACE).decoded : raw;
      if (NAME_PARAMS.includes(key.toLowerCase())) return url.slice(eq + 1, end);
    }
    from = end + 1;
  }
  return undefined;
}

const PLUS_AS_SPACE = { plusAsSpace: true } as const;

/**
 * A combined-format line: undefined when it is not an upload (not a write, or not to an upload
 * path), a reason when it is not a combined line at all. Runs once per line of large logs: a
 * test that rules out reads, then one regular expression and index arithmetic.
 */
export function parseCombinedLine(text: string, uploadPath: RegExp): UploadRecord | string | undefined {
  if (COMBINED_READ.test(text)) return undefined;
  const m = COMBINED.exec(text);
  if (m === null) return 'not a combined-format line';
  // A match here is a write: COMBINED_READ took every other combined line.
  const url = m[5]!;
  if (!uploadPath.test(url)) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const record: UploadRecord = {
    client: m[1]!,
    timestamp: m[3]!,
    requestPath: path,
    accepted: m[6]!.charCodeAt(0) === 0x32,
  };
  if (m[2] !== '-') record.user = m[2]!;
  const named = q < 0 ? undefined : nameParameter(url, q + 1);
  if (named !== undefined) record.filename = named;
  else {
    // The last path segment names the file when it has an extension, or hides a path of its own.
    const last = path.slice(path.lastIndexOf('/') + 1);
    const decoded = decodeRepeatedly(last).decoded;
    if (/\.[^./\\]+$/.test(decoded) || /[/\\]|\.\./.test(decoded)) record.filename = last;
  }
  return record;
}

export const combined: LogFormatModule = {
  detect: (line) => COMBINED.test(line),
  parse: (text, options) => parseCombinedLine(text, options.uploadPath),
};
