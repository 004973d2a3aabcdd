/**
 * Envoy's default access log (and Istio's, which adds fields at the end): `[start time]
 * "METHOD path protocol" status flags bytes-received bytes-sent duration upstream-time
 * "x-forwarded-for" "user-agent" …`. The client is the first address of X-Forwarded-For (the
 * peer is not in the default format). Judged as combined lines are.
 */
import { firstForwarded, judgeRequestLine } from './combined.js';
import type { LogFormatModule, UploadRecord } from './record.js';

const ENVOY =
  /^\[(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)\] "((?:[^"\\]|\\.)*)" (\d{3}) \S+ \d+ \d+ \S+ \S+ "([^"]*)"/;

/** An Envoy access log line: a record, undefined when it is no upload, or why it is malformed. */
export function parseEnvoyLine(text: string, uploadPath: RegExp): UploadRecord | string | undefined {
  const m = ENVOY.exec(text);
  if (m === null) return 'not an Envoy access log line';
  // Status 0: the connection ended before a response (Envoy's flags say why).
  const around = {
    client: firstForwarded(m[4]!),
    timestamp: m[1]!,
    status: m[3]!,
  };
  return judgeRequestLine(around, m[2]!, uploadPath);
}

export const envoy: LogFormatModule = {
  detect: (line) => ENVOY.test(line),
  parse: (text, options) => parseEnvoyLine(text, options.uploadPath),
};
