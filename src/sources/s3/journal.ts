/**
 * A remediation journal kept in the quarantine bucket, beside the objects it moved: one object
 * per record (`RUN/journal/00000001.json`), written before and after each step. A PUT is whole
 * and durable once acknowledged, so a crash at any point leaves each record whole or absent, and
 * the run can be finished or restored from any machine that can read the bucket (a cron job in a
 * container keeps no disk).
 *
 * One run at a time per quarantine: `QUARANTINE/.lock` names its holder. It is created with
 * If-None-Match (atomic where the store honours conditional writes: AWS S3, MinIO); a store that
 * ignores the condition is still protected by the check made before it, but not against two runs
 * starting in the same instant.
 */
import { hostname } from 'node:os';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AnyIntent, Record } from '../../remediate/journal.js';
import { InputError } from '../../util/errors.js';
import { describe, unlessMissing } from './client.js';
import { type BucketLocation, bucketUrl } from './location.js';

/** Every key under `prefix`, a page of the listing at a time. */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token !== undefined && { ContinuationToken: token }),
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

async function getText(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  const answer = await unlessMissing(client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
  return answer && ((await answer.Body?.transformToString('utf8')) ?? '');
}

const recordKey = (runPrefix: string, seq: number): string =>
  `${runPrefix}journal/${String(seq).padStart(8, '0')}.json`;

export class BucketJournal<I extends AnyIntent> {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    /** The run's folder in the quarantine bucket, ending in `/`. */
    readonly runPrefix: string,
    /** The number of the last record written. */
    private seq: number,
    /**
     * Every record of the run in order: those read when it was resumed, then those written
     * since. The manifest is made from these, not by reading the journal back.
     */
    readonly records: Record<I>[] = [],
  ) {}

  /** Write one record; it is durable when this returns. */
  async append(record: Record<I>): Promise<void> {
    // A number is never reused, even after a PUT that failed part-way and may have landed.
    this.seq++;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: recordKey(this.runPrefix, this.seq),
        Body: JSON.stringify(record),
        ContentType: 'application/json',
      }),
    );
    this.records.push(record);
  }
}

/** A run's records in the order written, and the number of the last one. */
export async function readBucketJournal<I extends AnyIntent>(
  client: S3Client,
  bucket: string,
  runPrefix: string,
): Promise<{ records: Record<I>[]; last: number }> {
  const keys = (await listKeys(client, bucket, `${runPrefix}journal/`)).sort();
  const records: Record<I>[] = [];
  let last = 0;
  for (const key of keys) {
    const seq = Number(/(\d+)\.json$/.exec(key)?.[1] ?? Number.NaN);
    if (!Number.isInteger(seq)) continue;
    last = Math.max(last, seq);
    const text = await getText(client, bucket, key);
    try {
      if (text !== undefined) records.push(JSON.parse(text) as Record<I>);
    } catch {
      // Not ours: a journal record is written whole or not at all.
    }
  }
  return { records, last };
}

interface Holder {
  host: string;
  pid: number;
  what: string;
  since: string;
}

export interface BucketLock {
  release(): Promise<void>;
}

const lockKey = (quarantine: BucketLocation): string => `${quarantine.prefix}.lock`;

/** A holder on this machine whose process is gone left the lock behind: it may be taken over. */
function stale(holder: Holder): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH';
  }
}

/** Take the quarantine's lock for `what`, or refuse with who holds it. */
export async function lockBucketQuarantine(
  client: S3Client,
  quarantine: BucketLocation,
  url: string,
  what: string,
): Promise<BucketLock> {
  const key = lockKey(quarantine);
  const held = await getText(client, quarantine.bucket, key);
  let takeOver = false;
  if (held !== undefined) {
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(held) as Holder;
    } catch {
      holder = undefined;
    }
    if (!holder || !stale(holder))
      throw new InputError(
        `quarantine '${url}' is in use${holder ? ` by ${holder.what} (${holder.host} pid ${holder.pid}, since ${holder.since})` : ''}; try again when it ends, or delete ${bucketUrl(quarantine.bucket, key)} if no run is going on`,
      );
    takeOver = true;
  }
  const me: Holder = { host: hostname(), pid: process.pid, what, since: new Date().toISOString() };
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: quarantine.bucket,
        Key: key,
        Body: JSON.stringify(me),
        ContentType: 'application/json',
        ...(!takeOver && { IfNoneMatch: '*' }),
      }),
    );
  } catch (error) {
    const { status, text } = describe(error);
    throw new InputError(
      status === 412
        ? `quarantine '${url}' is in use by another run that just started; try again when it ends`
        : `cannot lock quarantine '${url}': ${text}`,
    );
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await client.send(new DeleteObjectCommand({ Bucket: quarantine.bucket, Key: key }));
    },
  };
}
