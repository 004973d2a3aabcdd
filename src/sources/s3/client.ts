/**
 * The S3 client of a bucket source: the SDK's own credential chain and region, an endpoint for
 * S3-compatible stores, and retries of throttling (503 SlowDown) and transient errors with
 * backoff (the SDK's standard retry strategy).
 */
import { HeadObjectCommand, type HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';

export interface BucketClientOptions {
  /** --endpoint-url; the SDK also reads AWS_ENDPOINT_URL(_S3) itself. */
  endpoint?: string;
  /** --path-style: `host/bucket/key` addressing, which MinIO and most self-hosted stores need. */
  pathStyle?: boolean;
  /** Requests in flight at most (the HTTP connection pool's size). */
  maxRequests: number;
  /** Attempts per request, the first included. */
  maxAttempts?: number;
}

export function bucketClient(options: BucketClientOptions): S3Client {
  // The SDK warns on every start under Node 20 that its releases after January 2027 need Node
  // 22; stderr is the operator's channel for our notes, and the pinned SDK runs here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    forcePathStyle: options.pathStyle ?? false,
    // A region is required to sign; S3-compatible stores ignore it.
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: 'standard',
    // Only when an operation requires a checksum: S3-compatible stores that predate the SDK's
    // default checksums (aws-chunked uploads, CRC32 headers) refuse them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    followRegionRedirects: true,
    requestHandler: {
      httpAgent: { maxSockets: options.maxRequests, keepAlive: true },
      httpsAgent: { maxSockets: options.maxRequests, keepAlive: true },
      requestTimeout: 60_000,
      connectionTimeout: 10_000,
    },
  });
}

/** An SDK error in a few words: its code and the HTTP status, never its stack. */
export function describe(error: unknown): { name: string; status: number | undefined; text: string } {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  return { name, status, text: status === undefined ? name : `${name} (HTTP ${status})` };
}

/** What `request` answers, or undefined when the store says there is no such object (404). */
export async function unlessMissing<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (describe(error).status === 404) return undefined;
    throw error;
  }
}

/** An object's metadata (HEAD), or undefined when it is not there. */
export const headObject = (
  client: S3Client,
  bucket: string,
  key: string,
): Promise<HeadObjectCommandOutput | undefined> =>
  unlessMissing(client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
