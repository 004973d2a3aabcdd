/** `s3://BUCKET[/PREFIX]`: where a bucket source reads, checked before any request is made. */
import { InputError } from '../../util/errors.js';

/**
 * Requests in flight at most, unless told (`--max-requests`). Here, not in client.ts: the CLI
 * reads it at start, and client.ts loads the AWS SDK.
 */
export const DEFAULT_MAX_REQUESTS = 32;

export interface BucketLocation {
  bucket: string;
  /** Keys start with this; findings' paths are the keys without it. Empty, or ending in `/`. */
  prefix: string;
}

/** Bucket names as S3 allows them (3-63 of lower-case letters, digits, dots and dashes). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const isBucketUrl = (root: string): boolean => root.startsWith('s3://');

/** `use` names what the location is for, in the error ('scan', 'use as quarantine'). */
export function parseBucketUrl(url: string, use = 'scan'): BucketLocation {
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  let prefix = slash < 0 ? '' : rest.slice(slash + 1);
  if (!BUCKET.test(bucket))
    throw new InputError(
      `cannot ${use} '${url}': '${bucket}' is not a bucket name (expected s3://BUCKET[/PREFIX])`,
    );
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return { bucket, prefix };
}

/** Does one location hold the other (the same bucket, one prefix starting the other)? */
export const overlaps = (a: BucketLocation, b: BucketLocation): boolean =>
  a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));

/** `s3://BUCKET/KEY-OR-PREFIX`: how a place in a bucket is written for people and the journal. */
export const bucketUrl = (bucket: string, keyOrPrefix: string): string => `s3://${bucket}/${keyOrPrefix}`;
