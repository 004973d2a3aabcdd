/**
 * Amazon S3 server access logs: one line per request to a bucket, space-delimited (bucket owner,
 * bucket, [time], remote IP, requester, request id, operation, key, "request URI", status, error
 * code, bytes sent, object size, …). An object written into the bucket (a PUT, a browser form's
 * POST, a copy, a completed multipart upload) is an upload named by its key; nothing else is.
 */
import type { LogFormatModule, UploadRecord } from './record.js';

const S3_ACCESS =
  /^\S+ \S+ \[([^\]]+)\] (\S+) (\S+) \S+ ((?:REST|WEBSITE|BATCH|SOAP)\.\S+) (\S+) "(?:[^"\\]|\\.)*" (\d{3}|-) \S+ \S+ (\d+|-)/;

/** Operations that leave an object at the key: what a bucket's upload handler does. */
const WRITES = new Set(['REST.PUT.OBJECT', 'REST.POST.OBJECT', 'REST.COPY.OBJECT', 'REST.POST.UPLOAD']);

/** The key as stored: the log writes it URL-encoded once. */
function storedKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/** An S3 access log line: a record for a write, undefined for any other request, or why it is malformed. */
export function parseS3AccessLine(text: string): UploadRecord | string | undefined {
  const m = S3_ACCESS.exec(text);
  if (m === null) return 'not an S3 server access log line';
  const [, time, ip, requester, operation, key, status, size] = m as unknown as string[];
  if (!WRITES.has(operation!) || key === '-') return undefined;
  const record: UploadRecord = {
    // As the log wrote it: the name is judged decoded, and as written (a key may hide `%2e%2e/`).
    filename: key!,
    storedPath: storedKey(key!),
    client: ip!,
    timestamp: time!,
    accepted: status!.startsWith('2'),
  };
  if (requester !== '-') record.user = requester!;
  if (size !== '-') record.size = Number(size);
  return record;
}

export const s3Access: LogFormatModule = {
  detect: (line) => S3_ACCESS.test(line),
  parse: (text) => parseS3AccessLine(text),
};
