/**
 * HAProxy's HTTP log (`option httplog`), as syslog or stdout carries it: `client:port [accept
 * date] frontend backend/server timers status bytes … "request"`, the request line last.
 * Judged as combined lines are.
 */
import { judgeRequestLine } from './combined.js';
import type { LogFormatModule, UploadRecord } from './record.js';

/** Anything before the message (a syslog header and `haproxy[pid]: `), then the fields a record needs. */
const HAPROXY =
  /^(?:.*?\bhaproxy\[\d+\]: )?(\S+):\d+ \[(\d\d\/\w{3}\/\d{4}:[\d:.]+)\] \S+ \S+ [\d/+-]+ (-?\d+) \+?\d+ .*"((?:[^"\\]|\\.)*)"\s*$/;

/** An HAProxy HTTP log line: a record, undefined when it is no upload, or why it is malformed. */
export function parseHaproxyLine(text: string, uploadPath: RegExp): UploadRecord | string | undefined {
  const m = HAPROXY.exec(text);
  if (m === null) return 'not an HAProxy HTTP log line';
  // -1: the client went away before a status was sent. `<BADREQ>` has no request: no record.
  const around = { client: m[1]!, timestamp: m[2]!, status: m[3]!.startsWith('-') ? '000' : m[3]! };
  return judgeRequestLine(around, m[4]!, uploadPath);
}

export const haproxy: LogFormatModule = {
  detect: (line) => HAPROXY.test(line),
  parse: (text, options) => parseHaproxyLine(text, options.uploadPath),
};
