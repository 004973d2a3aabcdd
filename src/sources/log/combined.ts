/**
 * nginx and Apache combined access logs: uploads are writes to upload paths; a request that ran
 * a script inside an upload folder is evidence that a web shell is live.
 */
import { SERVER_SCRIPT_EXTENSIONS } from '../../inspect/filetypes.js';
import { analyzeName, decodeRepeatedly, lastComponent } from '../../inspect/names.js';
import type { LogFormatModule, UploadRecord } from './record.js';

/**
 * One access-log line: client, user, time, the request line as the server wrote it, status and
 * size. An optional `vhost:port` field first (Apache's vhost_combined), or a host name between
 * the time and the request (nginx formats that log `$host` there). The client may be an
 * X-Forwarded-For list (`203.0.113.5, 10.0.0.1`, logged behind a load balancer): the first is
 * the client. The request is any
 * quoted text (Apache writes a quote in it as \"): `-` for a connection that sent none, escaped
 * bytes for a TLS handshake sent to a plain port, spaces inside a raw URL. Fields after the size
 * (referer, agent, timings) are not read.
 */
const COMBINED =
  /^(?:[^\s:]+:\d+ )?(\S+(?:, \S+)*) \S+ (\S+) \[([^\]]+)\] (?:[^\s"]+ )?"((?:[^"\\]|\\.)*)" (\d{3}) (?:\d+|-)/;
/**
 * COMBINED without captures, matching only requests that are not writes: the method opens the
 * request, so this matches exactly when COMBINED does with a request that does not start with
 * POST, PUT or PATCH and a space. Most lines of an access log are reads; a test makes no match
 * array and no captured strings.
 */
const COMBINED_READ =
  /^(?:[^\s:]+:\d+ )?\S+(?:, \S+)* \S+ \S+ \[[^\]]+\] (?:[^\s"]+ )?"(?!(?:POST|PUT|PATCH) )(?:[^"\\]|\\.)*" \d{3} (?:\d+|-)/i;
const NAME_PARAMS = ['filename', 'file', 'name', 'fname', 'upload', 'path', 'key'];

/**
 * Default --upload-path: requests to common upload endpoints and folders, a script endpoint
 * among them (`/upload.php?file=x`), and the folders well-known applications upload into:
 * FCKeditor's and CKFinder's `userfiles`, TYPO3's `fileadmin`, Laravel's public `storage`.
 */
export const DEFAULT_UPLOAD_PATH =
  '/(?:upload|uploads|uploaded|user_?files|user_?uploads|fileadmin|storage|media|files?|attachments?|avatars?|images?)(?:\\.[a-z0-9]{1,5})?(?:/|\\?|$)';

/**
 * Query parameters web shells read their command from (`shell.jpg?cmd=id`), by the names the
 * common ones use.
 */
const COMMAND_PARAMS = ['cmd', 'c', 'x', 'exec', 'execute', 'command', 'shell', 'system', 'run'];

/**
 * A shell command as a web shell's user types it: a program people run to look around, fetch a
 * tool or open a shell (`id`, `whoami`, `uname -a`, `cat /etc/passwd`, `wget http://…`,
 * `powershell -enc …`, `cmd /c dir`), first in the value.
 */
const SHELL_COMMAND =
  /^\s*(?:id|whoami|uname|hostname|pwd|ls|dir|cat|type|echo|ps|tasklist|systeminfo|ipconfig|ifconfig|netstat|net\s+(?:user|localgroup|view)|wget|curl|nc|ncat|bash|sh|python[23]?|perl|php|ruby|powershell|pwsh|cmd(?:\.exe)?|certutil|bitsadmin|chmod|find|cd|rm|mkdir|touch|base64)(?:$|[\s;|&`<>])/i;

/**
 * The shell command a request's query hands to a file below an upload folder, if any: a data file
 * asked to run `id` is a polyglot the server executes (a handler that runs .jpg as PHP, an
 * .htaccess that says so) or the include of an upload by a script.
 */
function shellCommand(url: string, from: number): string | undefined {
  return firstParam(url, from, (key, value) => {
    if (!COMMAND_PARAMS.includes(key.toLowerCase())) return undefined;
    const command = decodeRepeatedly(value, PLUS_AS_SPACE).decoded;
    return SHELL_COMMAND.test(command) ? `${key}=${command}` : undefined;
  });
}

/**
 * Whether a read line may ask for a server script at all: one test over the line, so the reads
 * that cannot (nearly all of them) cost no capture; a hit is then parsed in full. A superset of
 * what the full parse finds: any script extension anywhere, any percent sign (an encoded name
 * can spell anything), a web shell's command parameter, a climb (`../`), a phar:// or zip://.
 */
const SCRIPT_HINT = new RegExp(
  // COMMAND_PARAMS written factored: words that share their first letters, spelled out one by
  // one, cost this test (run on every read line) a good deal more (docs/performance.md).
  `\\.(?:${[...SERVER_SCRIPT_EXTENSIONS].join('|')})|%|[?&](?:c(?:md|ommand)?|x|exec(?:ute)?|shell|system|run)=|\\.\\.[/\\\\]|(?:phar|zip)://`,
  'i',
);

/**
 * What `pick` makes of the first of a query's `key=value` pairs (read from `from` in the URL)
 * that it makes something of; it gets each key and value as written, and the pair.
 */
function firstParam<T>(
  url: string,
  from: number,
  pick: (key: string, value: string, pair: string) => T | undefined,
): T | undefined {
  while (from < url.length) {
    const amp = url.indexOf('&', from);
    const end = amp < 0 ? url.length : amp;
    const eq = url.indexOf('=', from);
    if (eq >= 0 && eq < end) {
      const found = pick(url.slice(from, eq), url.slice(eq + 1, end), url.slice(from, end));
      if (found !== undefined) return found;
    }
    from = end + 1;
  }
  return undefined;
}

/** Whether a query key (decoded, any case) names the uploaded file. */
function isNameKey(key: string): boolean {
  // Most keys need no decoding; a plus decodes to a space, which no name parameter has.
  const decoded = key.includes('%') ? decodeRepeatedly(key, PLUS_AS_SPACE).decoded : key;
  return NAME_PARAMS.includes(decoded.toLowerCase());
}

/** The value of the first query parameter that names the uploaded file. */
const nameParameter = (url: string, from: number): string | undefined =>
  firstParam(url, from, (key, value) => (isNameKey(key) ? value : undefined));

/** A request method that writes: what makes a request to an upload path an upload. */
const isWrite = (method: string): boolean => /^(?:POST|PUT|PATCH)$/i.test(method);

const PLUS_AS_SPACE = { plusAsSpace: true } as const;

/** The fields of an access-log line that a record keeps (whatever the log's format). */
export interface RequestFields {
  client: string;
  user: string;
  timestamp: string;
  method: string;
  /** The request target: path and query. */
  url: string;
  status: string;
}

/**
 * A request line's method and target: `GET /a b.php HTTP/1.1` is GET and `/a b.php` (a raw space
 * stays in the target; a last word that names the protocol is not part of it). Undefined for
 * `-` and anything else without a method, a space and a target.
 */
function splitRequest(request: string): { method: string; url: string } | undefined {
  const space = request.indexOf(' ');
  if (space <= 0) return undefined;
  const method = request.slice(0, space);
  if (/\s/.test(method)) return undefined;
  let url = request.slice(space + 1);
  const last = url.lastIndexOf(' ');
  if (last >= 0 && /^HTTP\//i.test(url.slice(last + 1))) url = url.slice(0, last);
  return url === '' ? undefined : { method, url };
}

/** A request target as a path and query: an absolute URL (proxies, load balancers) loses its scheme and host. */
export const localTarget = (url: string): string => url.replace(/^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i, '') || '/';

/**
 * A request line with what a log writes around it, judged as judgeRequest does: the line split
 * into method and target (an absolute target cut to its path); undefined for a line without one
 * (`-`, `<BADREQ>`). For formats that hold a request line (load balancers).
 */
export function judgeRequestLine(
  around: { client: string; timestamp: string; status: string },
  line: string,
  uploadPath: RegExp,
): UploadRecord | undefined {
  const request = splitRequest(line);
  if (request === undefined) return undefined;
  const url = localTarget(request.url);
  return judgeRequest({ ...around, user: '-', method: request.method, url }, uploadPath);
}

/**
 * The client of an X-Forwarded-For list (`203.0.113.5, 10.0.0.1`): its first address, as every
 * proxy after it appends its own; `-` when the list is empty.
 */
export function firstForwarded(list: string): string {
  const comma = list.indexOf(',');
  const first = (comma < 0 ? list : list.slice(0, comma)).trim();
  return first === '' ? '-' : first;
}

/** The fields of a combined line, or a reason it is none; undefined for a line without a request. */
function fieldsOf(text: string): RequestFields | string | undefined {
  const m = COMBINED.exec(text);
  if (m === null) return 'not a combined-format line';
  const request = splitRequest(m[4]!);
  if (request === undefined) return undefined;
  return {
    client: firstForwarded(m[1]!),
    user: m[2]!,
    timestamp: m[3]!,
    ...request,
    status: m[5]!,
  };
}

/**
 * A combined-format line: undefined when it is not an upload (not a write, or not to an upload
 * path), a reason when it is not a combined line at all. Runs once per line of large logs: a
 * test that rules out reads, then one regular expression and index arithmetic.
 */
export function parseCombinedLine(text: string, uploadPath: RegExp): UploadRecord | string | undefined {
  if (COMBINED_READ.test(text)) return SCRIPT_HINT.test(text) ? scriptRequest(text, uploadPath) : undefined;
  const fields = fieldsOf(text);
  if (typeof fields !== 'object') return fields;
  // A write (COMBINED_READ took every other combined line), or a request line that is no request.
  return isWrite(fields.method) ? judgeRequest(fields, uploadPath) : undefined;
}

/**
 * What one request of an access log says, in any format: an upload (a write to an upload path,
 * with the name it gave), a script run inside an upload folder, or nothing (undefined).
 */
export function judgeRequest(fields: RequestFields, uploadPath: RegExp): UploadRecord | undefined {
  const { url } = fields;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const place = placeInUploads(path, uploadPath);
  const executed =
    place.below === undefined
      ? q < 0
        ? undefined
        : includedUpload(fields, path, q + 1, uploadPath)
      : scriptRun(fields, path, place.below, q < 0 ? undefined : q + 1);
  if (executed) return executed;
  if (!isWrite(fields.method) || !uploadPath.test(url)) return undefined;
  const record: UploadRecord = {
    client: fields.client,
    timestamp: fields.timestamp,
    requestPath: path,
    accepted: fields.status.charCodeAt(0) === 0x32,
  };
  if (fields.user !== '-') record.user = fields.user;
  const named = q < 0 ? undefined : nameParameter(url, q + 1);
  if (named !== undefined) record.filename = named;
  else if (place.below !== undefined && /(?:^|[/\\])\.\.(?:[/\\;]|$)/.test(place.below.decoded)) {
    // A PUT or WebDAV path that climbs out of the upload folder: the whole path is the name.
    record.filename = place.below.raw;
  } else if (!place.endpoint) {
    // The last path segment names the file when it has an extension, or hides a path of its own;
    // not when it is the upload endpoint itself (`POST /upload.php`: the name is in the body).
    const last = path.slice(path.lastIndexOf('/') + 1);
    const decoded = decodeRepeatedly(last).decoded;
    if (/\.[^./\\]+$/.test(decoded) || /[/\\]|\.\./.test(decoded)) record.filename = last;
  }
  return record;
}

/**
 * Where a request path stands to the upload path, from one match of it: the part below an upload
 * folder (`/uploads/a/b.php` -> `a/b.php`, as written and decoded), or whether the path ends at
 * the upload endpoint itself (`/upload.php`).
 */
function placeInUploads(
  path: string,
  uploadPath: RegExp,
): { below?: { raw: string; decoded: string }; endpoint: boolean } {
  const m = uploadPath.exec(path);
  if (m === null) return { endpoint: false };
  const end = m.index + m[0].length;
  if (!m[0].endsWith('/')) return { endpoint: end === path.length };
  const raw = path.slice(end);
  return raw === ''
    ? { endpoint: false }
    : { below: { raw, decoded: decodeRepeatedly(raw).decoded }, endpoint: false };
}

/**
 * Whether a requested name is a server script: by its extension, or by the one a name trick
 * hides from an extension check but not from the server (`img.php;.jpg` on IIS, `x.php%00.jpg`,
 * `x.php.`, `x.php::$DATA`).
 */
function namesScript(name: string): boolean {
  const { extension, effectiveExtension } = analyzeName(name);
  return [extension, effectiveExtension].some(
    (ext) => ext !== undefined && SERVER_SCRIPT_EXTENSIONS.has(ext),
  );
}

/**
 * A request that has a script include a file below an upload folder, as a record; undefined
 * otherwise. A query value that climbs (`page=../../uploads/avatar.jpg`) or opens it through a
 * PHP stream wrapper (`phar://`, `zip://`) to reach the upload folder is a file inclusion
 * aimed at an upload: how a PHP payload hidden in an image is run when the server would not
 * run the image itself (and how a PHAR's metadata is unserialized).
 */
function includedUpload(
  fields: RequestFields,
  path: string,
  from: number,
  uploadPath: RegExp,
): UploadRecord | undefined {
  // A write's name parameter names the upload (judged as one, climbs included), not an include.
  const write = isWrite(fields.method);
  const found = firstParam(fields.url, from, (key, value, pair) => {
    if (write && isNameKey(key)) return undefined;
    const target = uploadReachedBy(value, uploadPath);
    return target && { ...target, pair };
  });
  if (found === undefined) return undefined;
  const record: UploadRecord = {
    client: fields.client,
    timestamp: fields.timestamp,
    requestPath: found.path,
    executed: {
      method: fields.method.toUpperCase(),
      status: Number(fields.status),
      script: found.below,
      // As logged: a decoded NUL or newline would print as something else.
      include: { page: path, parameter: found.pair },
    },
  };
  if (fields.user !== '-') record.user = fields.user;
  return record;
}

/**
 * The file below an upload folder a query value reaches, if it climbs to it or opens it through a
 * stream wrapper: its path from the folder on, and the part below the folder.
 */
function uploadReachedBy(raw: string, uploadPath: RegExp): { path: string; below: string } | undefined {
  // Only a value that holds a climb, an escape or a wrapper can: most values are not decoded.
  if (!raw.includes('..') && !raw.includes('%') && !/^(?:phar|zip):/i.test(raw)) return undefined;
  const value = decodeRepeatedly(raw, PLUS_AS_SPACE).decoded.replaceAll('\\', '/');
  const wrapper = /^(?:phar|zip):\/\//i.test(value);
  const folder = wrapper || /(?:^|\/)\.\.\//.test(value) ? uploadPath.exec(value) : null;
  if (!folder?.[0].endsWith('/')) return undefined;
  // What a C string ends at (the NUL byte of `shell.jpg%00`), or a zip:// entry's `#`.
  let path = value.slice(folder.index).split(/[\0#]/)[0]!;
  // A wrapper's archive ends at the first name with an extension (phar://…/a.jpg/x.php).
  const archive = wrapper ? /^[^.]*?\.[^/]*/.exec(path.slice(folder[0].length)) : null;
  if (archive) path = path.slice(0, folder[0].length + archive[0].length);
  const below = path.slice(folder[0].length);
  return below === '' ? undefined : { path, below };
}

/**
 * A request that ran a script `below` an upload folder, as a record; undefined otherwise. A
 * script by its name, or any file handed a shell command in the query (from `query`, where the
 * query starts in the URL).
 */
function scriptRun(
  fields: RequestFields,
  path: string,
  below: { raw: string; decoded: string },
  query: number | undefined,
): UploadRecord | undefined {
  const script = namesScript(lastComponent(below.decoded));
  // A script is a script run whatever its query holds; any other file, by its command.
  const command = script || query === undefined ? undefined : shellCommand(fields.url, query);
  if (!script && command === undefined) return undefined;
  const method = fields.method.toUpperCase();
  // A write of a script is an upload (judged as one); any other request ran it.
  if (script && (method === 'PUT' || method === 'PATCH')) return undefined;
  const record: UploadRecord = {
    client: fields.client,
    timestamp: fields.timestamp,
    requestPath: path,
    executed: { method, status: Number(fields.status), script: below.raw },
  };
  if (command !== undefined) record.executed!.command = command;
  if (fields.user !== '-') record.user = fields.user;
  return record;
}

/** A read line that may have run a script below an upload folder (a read is no upload). */
function scriptRequest(text: string, uploadPath: RegExp): UploadRecord | undefined {
  const fields = fieldsOf(text);
  return typeof fields === 'object' ? judgeRequest(fields, uploadPath) : undefined;
}

export const combined: LogFormatModule = {
  detect: (line) => COMBINED.test(line),
  parse: (text, options) => parseCombinedLine(text, options.uploadPath),
};
