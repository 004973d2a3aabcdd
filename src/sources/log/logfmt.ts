/**
 * Access logs written as logfmt, `key=value` pairs with quoted values where needed: Heroku's
 * router (`at=info method=GET path="/uploads/x.php?cmd=id" fwd="203.0.113.5" status=200 …`) and
 * the Go services that log requests the same way. Judged as combined lines are.
 */
import { firstForwarded, judgeRequest, localTarget } from './combined.js';
import type { LogFormatModule, UploadRecord } from './record.js';

/** One pair: a key, `=`, a bare value or a quoted one (with \" inside). */
const PAIR = /([\w.-]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g;
/** A request's method and path, and its status, somewhere on the line: a logfmt access log. */
const LOGFMT_REQUEST = /(?:^|\s)method=\S+(?=.*\s(?:path|uri|url)=)(?=.*\sstatus=\d{3}\b)/;

const METHOD = ['method'];
const TARGET = ['path', 'uri', 'url'];
const CLIENT = ['fwd', 'remote_addr', 'client_ip', 'ip'];
const TIME = ['time', 'ts', 't'];

/** A logfmt access log line: a record, undefined when it is no upload, or why it is malformed. */
export function parseLogfmtLine(text: string, uploadPath: RegExp): UploadRecord | string | undefined {
  if (!LOGFMT_REQUEST.test(text)) return 'not a logfmt line with a method, a path and a status';
  const pairs = new Map<string, string>();
  for (const m of text.matchAll(PAIR)) {
    const value = m[2] === undefined ? m[3]! : m[2].replace(/\\(.)/g, '$1');
    if (!pairs.has(m[1]!)) pairs.set(m[1]!, value);
  }
  const first = (keys: string[]) =>
    keys.map((key) => pairs.get(key)).find((v) => v !== undefined && v !== '');
  const method = first(METHOD);
  const target = first(TARGET);
  if (method === undefined || target === undefined)
    return 'not a logfmt line with a method, a path and a status';
  // Heroku's fwd is the X-Forwarded-For list: the client is its first address.
  const client = firstForwarded(first(CLIENT) ?? '');
  return judgeRequest(
    {
      client,
      user: '-',
      timestamp: first(TIME) ?? '',
      method,
      url: localTarget(target),
      status: pairs.get('status') ?? '000',
    },
    uploadPath,
  );
}

export const logfmt: LogFormatModule = {
  detect: (line) => LOGFMT_REQUEST.test(line),
  parse: (text, options) => parseLogfmtLine(text, options.uploadPath),
};
