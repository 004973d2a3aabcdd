/**
 * The log formats, one module each: a new format is one file and one line here. A log's format
 * is forced with --log-format or detected from its first meaningful line.
 */
import { combined } from './combined.js';
import { elb } from './elb.js';
import { envoy } from './envoy.js';
import { haproxy } from './haproxy.js';
import { jsonl } from './jsonl.js';
import { logfmt } from './logfmt.js';
import type { LogFormatModule } from './record.js';
import { s3Access } from './s3-access.js';
import { w3c } from './w3c.js';

export const FORMATS = {
  jsonl,
  combined,
  w3c,
  elb,
  's3-access': s3Access,
  haproxy,
  envoy,
  logfmt,
} satisfies Record<string, LogFormatModule>;
export type LogFormat = keyof typeof FORMATS;
export const LOG_FORMATS = Object.keys(FORMATS) as LogFormat[];

/** Which format a log is, from its first meaningful line. */
export function detectFormat(firstLine: string): LogFormat | undefined {
  const text = firstLine.trimStart();
  return LOG_FORMATS.find((id) => FORMATS[id].detect(text));
}
