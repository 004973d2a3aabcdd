/**
 * A bucket's object as a ByteSource: each read is one HTTP range request for exactly the bytes
 * asked for (the head, the tail, a zip's end records, a PDF's pieces within bounds), so what is
 * fetched follows the read bounds, not the object's size. The first response also tells the
 * Content-Type the bucket stores for the object: the type the client declared at upload.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ByteSource } from '../../model/types.js';

/** What every object of a run fetched, for the run's note and the bench. */
export interface FetchTally {
  requests: number;
  bytes: number;
}

/** Reads already answered, kept for repeats (inspect reads the head, then parts of it again). */
const REMEMBERED_READS = 4;

export class ObjectBytes implements ByteSource {
  readonly remote = true;
  readonly #remembered: Array<{ position: number; bytes: Buffer }> = [];
  #typeTold = false;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    readonly size: number,
    private readonly tally: FetchTally,
    /** Told the stored Content-Type with the first response (before the rules weigh the item). */
    private readonly onContentType: (contentType: string) => void,
    /** The object as listed: a read of another version (rewritten since) fails instead. */
    private readonly etag?: string,
  ) {}

  async read(position: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, position + length);
    if (position >= end) return Buffer.alloc(0);
    for (const { position: at, bytes } of this.#remembered)
      if (position >= at && end <= at + bytes.length)
        return Buffer.from(bytes.subarray(position - at, end - at));
    const response = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.key,
        Range: `bytes=${position}-${end - 1}`,
        ...(this.etag !== undefined && { IfMatch: this.etag }),
      }),
    );
    if (!this.#typeTold && response.ContentType !== undefined) this.onContentType(response.ContentType);
    this.#typeTold = true;
    const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
    this.tally.requests++;
    this.tally.bytes += bytes.length;
    this.#remembered.unshift({ position, bytes });
    this.#remembered.length = Math.min(this.#remembered.length, REMEMBERED_READS);
    return Buffer.from(bytes.subarray(0, end - position));
  }

  close(): void {
    this.#remembered.length = 0;
  }
}
