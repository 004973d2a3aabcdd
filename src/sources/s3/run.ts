/**
 * `upload-audit scan s3://BUCKET[/PREFIX]`: a bucket's objects as a Source. Listed a page at a
 * time (ListObjectsV2, never a HEAD per object), each object read only as far as the read bounds
 * go, by range requests, with a bounded number of requests in flight. The key is the name the
 * rules judge; the Content-Type the bucket stores is the type the client declared.
 */
import {
  type _Object,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Auditor, type Collector, unseenContent } from '../../audit/auditor.js';
import { type RunContext, type RunOptions, runAudit, type Source } from '../../audit/run.js';
import { IncrementalSession, stateLine, storedFindings } from '../../incremental/session.js';
import { EntryHash, VerdictTable } from '../../incremental/table.js';
import { analyzeName, climbsOut } from '../../inspect/names.js';
import type {
  Finding,
  IncrementalSummary,
  InspectedFile,
  NotEvaluatedReason,
  Report,
} from '../../model/types.js';
import { InputError } from '../../util/errors.js';
import { printableBytes } from '../../util/escape.js';
import { pathMatcher } from '../../util/globs.js';
import { shardOf } from '../../util/shard.js';
import { type BucketClientOptions, bucketClient, describe } from './client.js';
import { type BucketExposure, bucketExposure, objectAcl } from './exposure.js';
import { type BucketLocation, bucketUrl, parseBucketUrl } from './location.js';
import { type FetchTally, ObjectBytes } from './object-bytes.js';

/**
 * Flagged objects larger than this are fingerprinted by their ETag rather than by a sha256 of
 * their bytes: a flagged 200 MiB video would otherwise be fetched up to maxHashBytes (16 MiB)
 * for its fingerprint alone. Their findings then carry no sha256 (suppress them by path).
 */
const REMOTE_HASH_BYTES = 1024 * 1024;

export interface FlaggedObject {
  key: string;
  etag: string | undefined;
  size: number;
}

export interface BucketOptions extends RunOptions {
  /** s3://BUCKET[/PREFIX] */
  url: string;
  include?: string[];
  exclude?: string[];
  shard?: { index: number; count: number };
  client: BucketClientOptions;
  /** Keep a state file: objects whose ETag, size and time are the stored ones are not read. */
  state?: string;
  /** Read each object's ACL (one request per object) for public grants the bucket does not make. */
  objectAcls?: boolean;
}

/** What an SDK error says of one object, in the words of the not-evaluated list. */
function reasonFor(error: unknown): { reason: NotEvaluatedReason; detail: string } {
  const { name, status, text } = describe(error);
  if (status === 404 || name === 'NoSuchKey')
    return { reason: 'vanished', detail: 'deleted since it was listed' };
  if (status === 412) return { reason: 'changed-type', detail: 'rewritten since it was listed' };
  if (status === 403) return { reason: 'unreadable', detail: text };
  return { reason: 'read-error', detail: text };
}

/** Run `task` over `items` with at most `limit` running at once. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await task(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export class BucketSource implements Source {
  readonly kind = 'bucket';
  readonly root: string;
  readonly rootAbsolute: string;
  readonly location: BucketLocation;
  /** Range requests and bytes fetched by the run, for its note and the bench. */
  readonly fetched: FetchTally = { requests: 0, bytes: 0 };
  /** Bytes the listed objects hold. */
  storedBytes = 0;
  /**
   * The objects with findings, by path, as they were listed: `fix` moves exactly what was
   * judged (a copy conditional on this ETag), never an object rewritten since.
   */
  readonly flagged = new Map<string, FlaggedObject>();
  incremental: IncrementalSummary | undefined;
  readonly #isExcluded: (path: string) => boolean;
  readonly #isIncluded: (path: string) => boolean;
  #session: IncrementalSession | undefined;
  #previous: VerdictTable | undefined;
  readonly #hash = new EntryHash();
  /** What the bucket grants everyone; read at the start of the run. */
  #exposure: BucketExposure | undefined;
  /** What of the public grants could not be checked, and why. */
  readonly exposureNotes: string[] = [];
  #aclsUnreported = false;

  constructor(
    private readonly options: Pick<
      BucketOptions,
      'url' | 'include' | 'exclude' | 'shard' | 'client' | 'state' | 'objectAcls'
    >,
  ) {
    this.location = parseBucketUrl(options.url);
    this.root = options.url;
    this.rootAbsolute = bucketUrl(this.location.bucket, this.location.prefix);
    this.#isExcluded = pathMatcher(options.exclude ?? []) ?? (() => false);
    this.#isIncluded = pathMatcher(options.include ?? []) ?? (() => true);
  }

  async collect(run: RunContext, collector: Collector): Promise<void> {
    if (this.options.state === undefined) return this.#collect(run, collector);
    this.#session = new IncrementalSession({
      file: this.options.state,
      policy: run.policy,
      source: 'bucket',
      root: this.rootAbsolute,
      shard: this.options.shard,
    });
    const { previous } = this.#session;
    if (previous.usable) this.#previous = new VerdictTable(previous.table);
    this.incremental = await this.#session.run(() => this.#collect(run, collector));
  }

  async #collect(run: RunContext, collector: Collector): Promise<void> {
    const client = bucketClient(this.options.client);
    const auditor = new Auditor(run.policy, run.nowMs);
    const { bucket, prefix } = this.location;
    const list = (token?: string): Promise<ListObjectsV2CommandOutput> =>
      client
        .send(
          new ListObjectsV2Command({
            Bucket: bucket,
            ...(prefix !== '' && { Prefix: prefix }),
            ...(token !== undefined && { ContinuationToken: token }),
          }),
        )
        .catch((error: unknown) => {
          // Without the listing nothing can be said of what is in the bucket: bad input, exit 2.
          throw new InputError(`cannot list '${this.root}': ${describe(error).text}`);
        });
    try {
      let page: Promise<ListObjectsV2CommandOutput> | undefined = list();
      // Asked beside the first page; it never rejects (what it cannot read becomes a note), so
      // the listing's own failure is the one awaited first.
      const exposure = bucketExposure(client, bucket);
      while (page) {
        const listed: ListObjectsV2CommandOutput = await page;
        if (!this.#exposure) {
          this.#exposure = await exposure;
          this.exposureNotes.push(...this.#exposure.notes);
        }
        // The next page is asked for while this one is audited.
        page =
          listed.IsTruncated && listed.NextContinuationToken ? list(listed.NextContinuationToken) : undefined;
        await eachLimited(listed.Contents ?? [], this.options.client.maxRequests, (object) =>
          this.#object(client, auditor, object, run, collector),
        );
      }
    } finally {
      client.destroy();
    }
  }

  async #object(
    client: S3Client,
    auditor: Auditor,
    object: _Object,
    run: RunContext,
    collector: Collector,
  ): Promise<void> {
    const key = object.Key ?? '';
    const path = key.slice(this.location.prefix.length);
    if (path === '') return; // the prefix's own folder marker
    const { shard } = this.options;
    if (shard && shardOf(path, shard.count) !== shard.index) return;
    const { counters } = collector;
    if (this.#isExcluded(path) || !this.#isIncluded(path)) {
      counters.excluded++;
      return;
    }
    counters.entries++;
    const size = object.Size ?? 0;
    // A key ending in / is a folder marker some tools make: a folder, not content.
    if (key.endsWith('/') && size === 0) {
      counters.directories++;
      counters.evaluated++;
      return;
    }
    counters.files++;
    this.storedBytes += size;
    const name = path.slice(path.lastIndexOf('/') + 1);
    // As on disk: a backslash is shown doubled, and such a key keeps its raw form beside it.
    const printable = path.includes('\\') ? printableBytes(Buffer.from(path), true) : path;
    const facts: InspectedFile = {
      path: printable,
      ...(printable !== path && { pathBase64: Buffer.from(path).toString('base64') }),
      kind: 'file',
      name,
      size,
      nameInfo: analyzeName(name),
      ...(object.LastModified && { mtimeMs: object.LastModified.getTime() }),
    };
    // A key that climbs with .. lands outside its folder when the bucket is synced to disk.
    if (climbsOut(path)) facts.declared = { storedOutside: path };
    const acl = await this.#objectAcl(client, key);
    const exposed = this.#exposure?.of(key, acl);
    if (exposed) facts.publicAccess = exposed;
    // An incremental rescan: an object whose ETag, size and time are the stored ones. Keys are
    // compared whole; the ETag changes with the content, so no racy window applies.
    const hash =
      this.#session &&
      // What is granted is part of the verdict: a changed policy or ACL re-reads the object.
      this.#hash.of(
        `k:${key}\u0000${object.ETag ?? ''}\u0000${this.#exposure?.digest}\u0000${[...(acl ?? [])]}`,
        [BigInt(size), BigInt(object.LastModified?.getTime() ?? 0)],
      );
    const key64 = hash && { hi: hash.hi, lo: hash.lo, hex: hash.hex };
    const flag = (findings: readonly unknown[]): void => {
      if (findings.length > 0) this.flagged.set(printable, { key, etag: object.ETag, size });
    };
    const reused = key64 && this.#reuse(key64, auditor, collector);
    if (reused) {
      flag(reused);
      counters.evaluated++;
      counters.filesEvaluated++;
      counters.bytes += size;
      counters.bytesEvaluated += size;
      run.onProgress?.({ counters, current: printable });
      return;
    }
    const declare = (contentType: string): void => {
      facts.declared = { ...facts.declared, contentType };
    };
    const bytes =
      size > 0
        ? new ObjectBytes(client, this.location.bucket, key, size, this.fetched, declare, object.ETag)
        : undefined;
    try {
      if (!bytes) {
        // Nothing to read; the one request that tells its stored type.
        const head = await client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: key }));
        if (head.ContentType !== undefined) declare(head.ContentType);
      }
      // A flagged object is fingerprinted by its content: hashed whole when small, as on disk;
      // past REMOTE_HASH_BYTES by its ETag, which changes with it, instead of fetching it whole.
      const etagKey = size > REMOTE_HASH_BYTES && object.ETag ? { contentKey: `etag:${object.ETag}` } : {};
      const findings = await auditor.audit({ facts, ...(bytes && { bytes }), ...etagKey });
      collector.addFindings(findings);
      flag(findings);
      counters.bytes += size;
      const unseen = unseenContent(printable, facts);
      if (unseen)
        collector.addNotEvaluated(unseen); // and read again next run
      else {
        counters.evaluated++;
        counters.filesEvaluated++;
        counters.bytesEvaluated += size;
        if (key64) this.#session!.add(stateLine(key64.hex, findings), { entries: 1, reused: 0, reread: 1 });
      }
    } catch (error) {
      collector.addNotEvaluated({ path: printable, ...reasonFor(error) });
    } finally {
      bytes?.close();
    }
    run.onProgress?.({ counters, current: printable });
  }

  /** With --object-acls, what the object's ACL grants everyone; a store that cannot say is a note, once. */
  async #objectAcl(client: S3Client, key: string): Promise<Set<'read' | 'write'> | undefined> {
    if (!this.options.objectAcls || this.#exposure?.aclsApply !== true || this.#aclsUnreported)
      return undefined;
    try {
      return await objectAcl(client, this.location.bucket, key);
    } catch (error) {
      this.#aclsUnreported = true;
      this.exposureNotes.push(`object ACLs not reported (${describe(error).text})`);
      return undefined;
    }
  }

  /** The stored findings of an unchanged object, suppressions applied anew; undefined to read it. */
  #reuse(
    key: { hi: number; lo: number; hex: string },
    auditor: Auditor,
    collector: Collector,
  ): Finding[] | undefined {
    const stored = this.#previous?.get(key.hi, key.lo);
    if (stored === undefined) return undefined;
    const findings = stored.clean ? [] : storedFindings(stored.findingsJson);
    if (findings === undefined) return undefined;
    auditor.resuppress(findings);
    collector.addFindings(findings);
    this.#session!.add(stateLine(key.hex, findings), { entries: 1, reused: 1, reread: 0 });
    return findings;
  }
}

/** Audit a bucket's objects: the bucket source through the one audit pipeline. */
export function runBucket(options: BucketOptions): Promise<Report> {
  return runAudit(new BucketSource(options), options);
}
