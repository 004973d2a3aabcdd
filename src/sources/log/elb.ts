/**
 * AWS load balancer access logs: an Application Load Balancer's (a request type first: `http`,
 * `https`, `h2`, `grpcs`, `ws`, `wss`) and a Classic Load Balancer's (the time first). The client
 * is `ip:port`, the request line holds an absolute URL, the load balancer's status is the one the
 * client saw. Judged as combined lines are.
 */
import { judgeRequestLine } from './combined.js';
import type { LogFormatModule, UploadRecord } from './record.js';

/**
 * type? time elb client:port target:port three timings elb_status target_status received sent
 * "request": what a record needs, the rest of the line (agent, TLS, ARNs, trace) left unread.
 */
const ELB =
  /^(?:(?:https?|h2|grpcs?|wss?) )?(\d{4}-\d\d-\d\dT[\d:.]+Z) \S+ (\S+) \S+ \S+ \S+ \S+ (\d{3}|-) \S+ \d+ \d+ "((?:[^"\\]|\\.)*)"/;

/** An address as the log writes it, `ip:port` (IPv6 too: the port follows the last colon). */
const withoutPort = (address: string): string => {
  const colon = address.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(address.slice(colon + 1)) ? address.slice(0, colon) : address;
};

/** A load balancer log line: a record, undefined when it is no upload, or why it is malformed. */
export function parseElbLine(text: string, uploadPath: RegExp): UploadRecord | string | undefined {
  const m = ELB.exec(text);
  if (m === null) return 'not a load balancer access log line';
  // `- - -` for a request the load balancer could not read: no record.
  const around = { client: withoutPort(m[2]!), timestamp: m[1]!, status: m[3] === '-' ? '000' : m[3]! };
  return judgeRequestLine(around, m[4]!, uploadPath);
}

export const elb: LogFormatModule = {
  detect: (line) => ELB.test(line),
  parse: (text, options) => parseElbLine(text, options.uploadPath),
};
