/**
 * Access logs are often kept inside another log's lines: a syslog header (nginx or Apache writing
 * through syslog, rsyslog's files), a container runtime's (CRI, the files Kubernetes keeps under
 * /var/log/pods), or Docker's json-file driver (`{"log":"…\n","stream":"stdout",…}`). What a log
 * format reads is the message inside; a line without an envelope is read as it is. Such files
 * often hold other programs' lines too (sshd in a syslog file; an ingress controller's own
 * messages on stderr): a line from another program or stream than the first access-log line's is
 * not part of the access log.
 */

/**
 * A syslog header: BSD (`Dec  7 02:00:00`) or ISO time, a host (which `heroku logs` leaves out),
 * a tag with an optional [pid] or [process] (`heroku[router]`), `: `.
 */
const SYSLOG =
  /^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) (?:\S+ )?([^\s:[\]]+)(?:\[[^\]\s]*\])?: /;
/** RFC 5424: `<pri>1 time host app procid msgid [structured data] `. */
const SYSLOG_5424 = /^<\d{1,3}>1 \S+ \S+ (\S+) \S+ \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) /;
/** CRI (containerd, CRI-O): time, stream, F for a full line or P for a part of one. */
const CRI = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) (stdout|stderr) [FP] /;
const DOCKER = '{"log":"';

const DASH = 0x2d;
const LT = 0x3c;

/**
 * The message a Docker json-file line carries, without the newline it ends with, and its stream.
 * The stream also tells it from an application's own JSON line that starts with a `log` key.
 */
function dockerLine(text: string): Envelope | undefined {
  try {
    const { log, stream } = JSON.parse(text) as { log?: unknown; stream?: unknown };
    return typeof log === 'string' && typeof stream === 'string'
      ? { message: log.replace(/\r?\n$/, ''), source: stream }
      : undefined;
  } catch {
    return undefined;
  }
}

/** A line's message, and which program (a syslog tag) or stream (stdout, stderr) wrote it. */
export interface Envelope {
  message: string;
  source: string;
}

/**
 * The envelope around a line, or undefined for a line without one (read as it is). Runs on every
 * line of large logs: a look at the first characters rules out the patterns for lines that start
 * as no envelope does (an address, a quote, a field).
 */
export function envelopeOf(text: string): Envelope | undefined {
  const first = text.charCodeAt(0);
  if (first === 0x7b /* { */) return text.startsWith(DOCKER) ? dockerLine(text) : undefined;
  const month = first >= 0x41 && first <= 0x5a; // A-Z
  const isoDate = text.charCodeAt(4) === DASH && text.charCodeAt(7) === DASH;
  if (!month && !isoDate && first !== LT) return undefined;
  const m = CRI.exec(text) ?? SYSLOG.exec(text) ?? (first === LT ? SYSLOG_5424.exec(text) : null);
  return m === null ? undefined : { message: text.slice(m[0].length), source: m[1]! };
}
