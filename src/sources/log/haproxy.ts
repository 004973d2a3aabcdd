/**
 * HAProxy's HTTP log (`option httplog`), as syslog or stdout carries it: `client:port [accept
 * date] frontend backend/server timers status bytes … "request"`, the request line last.
 * Judged as combined lines are.
 */
import { judgeRequest, localTarget, type RequestFields, splitRequest } from './combined.js';
import type { LogFormatModule, UploadRecord } from './record.js';

/** Anything before the message (a syslog header and `haproxy[pid]: `), then the fields a record needs. */
const HAPROXY =
  /^(?:.*?\bhaproxy\[\d+\]: )?(\S+):\d+ \[(\d\d\/\w{3}\/\d{4}:[\d:.]+)\] \S+ \S+ [\d/+-]+ (-?\d+) \+?\d+ .*"((?:[^"\\]|\\.)*)"\s*$/;

/** An HAProxy HTTP log line: a record, undefined when it is no upload, or why it is malformed. */
export function parseHaproxyLine(text: string, uploadPath: RegExp): UploadRecord | string | undefined {
  const m = HAPROXY.exec(text);
  if (m === null) return 'not an HAProxy HTTP log line';
  // `<BADREQ>` and `<NOSRV>` requests carry no method and target.
  const request = splitRequest(m[4]!);
  if (request === undefined) return undefined;
  const fields: RequestFields = {
    client: m[1]!,
    user: '-',
    timestamp: m[2]!,
    method: request.method,
    url: localTarget(request.url),
    // -1: the client went away before a status was sent.
    status: m[3]!.startsWith('-') ? '000' : m[3]!,
  };
  return judgeRequest(fields, uploadPath);
}

export const haproxy: LogFormatModule = {
  detect: (line) => HAPROXY.test(line),
  parse: (text, options) => parseHaproxyLine(text, options.uploadPath),
};
