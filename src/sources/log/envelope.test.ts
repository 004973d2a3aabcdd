import { describe, expect, it } from 'vitest';
import fc from '../../test-support/fast-check.js';
import { envelopeOf } from './envelope.js';

/** The line a log format reads: the message inside an envelope, or the line itself. */
const unwrapLine = (text: string): string => envelopeOf(text)?.message ?? text;

const ACCESS =
  '10.0.0.1 - - [07/Dec/2026:02:00:00 +0000] "GET /uploads/x.php?cmd=id HTTP/1.1" 200 120 "-" "curl"';

describe('unwrapLine', () => {
  it.each([
    ['BSD syslog', `Dec  7 02:00:00 web1 nginx: ${ACCESS}`],
    ['BSD syslog with a priority and a pid', `<190>Dec 17 02:00:00 web1 httpd[2231]: ${ACCESS}`],
    ['syslog with an ISO time (rsyslog)', `2026-12-07T02:00:02.123456+00:00 web1 nginx[123]: ${ACCESS}`],
    ['RFC 5424', `<165>1 2026-12-07T02:00:00.003Z web1 nginx 123 - - ${ACCESS}`],
    [
      'RFC 5424 with structured data',
      `<165>1 2026-12-07T02:00:00Z web1 nginx 123 ID47 [exampleSDID@32473 iut="3" eventID="1011"] ${ACCESS}`,
    ],
    ['`heroku logs` (no host)', `2026-12-07T02:00:00.000000+00:00 heroku[router]: ${ACCESS}`],
    ['a CRI line (Kubernetes)', `2026-12-07T02:00:00.123456789Z stdout F ${ACCESS}`],
    [
      "Docker's json-file",
      JSON.stringify({ log: `${ACCESS}\n`, stream: 'stdout', time: '2026-12-07T02:00:00.1Z' }),
    ],
  ])('takes the message out of %s', (_label, line) => {
    expect(unwrapLine(line)).toBe(ACCESS);
  });

  it.each([
    ['a combined line', ACCESS],
    ['an IPv6 client', '2001:db8::1 - - [07/Dec/2026:02:00:00 +0000] "GET / HTTP/1.1" 200 1'],
    ['a W3C line', '2026-12-07 02:00:00 10.0.0.5 POST /upload.aspx - 443 - 10.0.0.9 Mozilla - 200 0 0 15'],
    [
      'a Classic load balancer line',
      '2026-12-07T02:00:00.945958Z my-lb 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://x/ HTTP/1.1" "curl" - -',
    ],
    ['an upload log line whose first key is log', '{"log":"upload","filename":"a.php","status":201}'],
    ['an upload log line', '{"filename":"a.php","status":201}'],
    [
      'an HAProxy line on stdout',
      '10.0.0.1:4711 [07/Dec/2026:02:00:00.123] fe be/s1 0/0/0/1/1 200 120 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"',
    ],
  ])('leaves %s as it is', (_label, line) => {
    expect(unwrapLine(line)).toBe(line);
  });

  it('names the program or stream that wrote the line', () => {
    const source = (line: string) => envelopeOf(line)?.source;
    expect(source(`Dec  7 02:00:00 web1 nginx: ${ACCESS}`)).toBe('nginx');
    expect(source(`<190>Dec 17 02:00:00 web1 httpd[2231]: ${ACCESS}`)).toBe('httpd');
    expect(source(`2026-12-07T02:00:00.000000+00:00 heroku[router]: ${ACCESS}`)).toBe('heroku');
    expect(source(`<165>1 2026-12-07T02:00:00Z web1 nginx 123 - - ${ACCESS}`)).toBe('nginx');
    expect(source(`2026-12-07T02:00:00.1Z stderr F ${ACCESS}`)).toBe('stderr');
    expect(source(JSON.stringify({ log: ACCESS, stream: 'stdout' }))).toBe('stdout');
    expect(envelopeOf(ACCESS)).toBeUndefined();
  });

  it('never throws, and returns the line or a tail of it', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `{"log":${s}`),
          fc.string().map((s) => `Dec  7 02:00:00 ${s}`),
          fc.string().map((s) => `<1>1 ${s}`),
        ),
        (line) => {
          const out = unwrapLine(line);
          expect(line.endsWith(out) || line.startsWith('{"log":"')).toBe(true);
        },
      ),
    );
  });
});
