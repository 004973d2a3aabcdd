/**
 * nginx and Apache combined access logs: uploads are writes to upload paths; a request that ran
 * a script inside an upload folder is evidence that a web shell is live.
 */
import { SERVER_SCRIPT_EXTENSIONS } from '../../inspect/filetypes.js';
import { decodeRepeatedly, lastComponent } from '../../inspect/names.js';
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

/**
 * Default --upload-path: requests to common upload endpoints and folders, a script endpoint
 * among them (`/upload.php?file=x`).
 */
export const DEFAULT_UPLOAD_PATH =
  '/(?:upload|uploads|media|files?|attachments?|avatars?|images?)(?:\\.[a-z0-9]{1,5})?(?:/|\\?|$)';

/**
 * Whether a read line may ask for a server script at all: one test over the line, so the reads
 * that cannot (nearly all of them) cost no capture; a hit is then parsed in full. A superset of
 * what the full parse finds: any script extension anywhere, or any percent sign (an encoded name
 * can spell anything).
 */
const SCRIPT_HINT = new RegExp(`\\.(?:${[...SERVER_SCRIPT_EXTENSIONS].join('|')})|%`, 'i');

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
  if (COMBINED_READ.test(text)) return SCRIPT_HINT.test(text) ? scriptRequest(text, uploadPath) : undefined;
  const m = COMBINED.exec(text);
  if (m === null) return 'not a combined-format line';
  // A match here is a write: COMBINED_READ took every other combined line.
  const url = m[5]!;
  if (!uploadPath.test(url)) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const executed = scriptBelowUploads(m, path, uploadPath);
  if (executed) return executed;
  const record: UploadRecord = {
    client: m[1]!,
    timestamp: m[3]!,
    requestPath: path,
    accepted: m[6]!.charCodeAt(0) === 0x32,
  };
  if (m[2] !== '-') record.user = m[2]!;
  const named = q < 0 ? undefined : nameParameter(url, q + 1);
  const below = pathBelowUploads(path, uploadPath);
  if (named !== undefined) record.filename = named;
  else if (below !== undefined && /(?:^|[/\\])\.\.(?:[/\\;]|$)/.test(decodeRepeatedly(below).decoded)) {
    // A PUT or WebDAV path that climbs out of the upload folder: the whole path is the name.
    record.filename = below;
  } else {
    // The last path segment names the file when it has an extension, or hides a path of its own.
    const last = path.slice(path.lastIndexOf('/') + 1);
    const decoded = decodeRepeatedly(last).decoded;
    if (/\.[^./\\]+$/.test(decoded) || /[/\\]|\.\./.test(decoded)) record.filename = last;
  }
  return record;
}

/** The part of a request path below its upload folder (`/uploads/a/b.php` -> `a/b.php`), if any. */
function pathBelowUploads(path: string, uploadPath: RegExp): string | undefined {
  const m = uploadPath.exec(path);
  if (m === null || !m[0].endsWith('/')) return undefined;
  const below = path.slice(m.index + m[0].length);
  return below === '' ? undefined : below;
}

/** A script inside an upload folder that a request ran, as a record; undefined otherwise. */
function scriptBelowUploads(m: RegExpExecArray, path: string, uploadPath: RegExp): UploadRecord | undefined {
  const below = pathBelowUploads(path, uploadPath);
  if (below === undefined) return undefined;
  const name = lastComponent(decodeRepeatedly(below).decoded);
  const dot = name.lastIndexOf('.');
  if (dot < 0 || !SERVER_SCRIPT_EXTENSIONS.has(name.slice(dot + 1).toLowerCase())) return undefined;
  const method = m[4]!.toUpperCase();
  // A write of a script is an upload (judged as one); any other request ran it.
  if (method === 'PUT' || method === 'PATCH') return undefined;
  const record: UploadRecord = {
    client: m[1]!,
    timestamp: m[3]!,
    requestPath: path,
    executed: { method, status: Number(m[6]), script: below },
  };
  if (m[2] !== '-') record.user = m[2]!;
  return record;
}

/** A read line that may have run a script below an upload folder. */
function scriptRequest(text: string, uploadPath: RegExp): UploadRecord | undefined {
  const m = COMBINED.exec(text);
  if (m === null) return undefined;
  const url = m[5]!;
  const q = url.indexOf('?');
  return scriptBelowUploads(m, q < 0 ? url : url.slice(0, q), uploadPath);
}

export const combined: LogFormatModule = {
  detect: (line) => COMBINED.test(line),
  parse: (text, options) => parseCombinedLine(text, options.uploadPath),
};
