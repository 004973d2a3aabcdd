/**
 * `fix s3://…` and `restore s3://…`: quarantine flagged objects into a quarantine bucket or
 * prefix, and put them back. S3 has no rename, so a move is three requests, each journaled
 * before it is made (journal.ts): copy (conditional on the ETag the scan judged, keeping the
 * object's Content-Type and metadata), verify the copy, delete the original. At every instant
 * an object is in place, in quarantine, or both, and the journal says which may have moved; the
 * next `fix --apply` (or a `restore`) finishes what a killed run left open.
 *
 * The quarantine holds objects under generated keys (`RUN/files/ID`), never their hostile keys.
 * What S3 cannot carry back: an object's last-modified time (a copy is a new write), and its
 * ACL (a copy gets the bucket's default), which is what a quarantine wants anyway.
 */
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ApplyResult } from '../../remediate/apply.js';
import { findingNotes } from '../../remediate/apply.js';
import { type JournalState, journalState, manifestOf, toRestore } from '../../remediate/journal.js';
import type { Plan } from '../../remediate/plan.js';
import type { RestoreResult } from '../../remediate/restore.js';
import { InputError } from '../../util/errors.js';
import { describe, headObject } from './client.js';
import {
  BucketJournal,
  type BucketLock,
  listKeys,
  lockBucketQuarantine,
  readBucketJournal,
} from './journal.js';
import { type BucketLocation, bucketUrl, parseBucketUrl } from './location.js';
import type { FlaggedObject } from './run.js';

interface ObjectIntent {
  op: 'intent';
  id: number;
  action: 'quarantine';
  /** The object's key in the scanned bucket; `path` is its printable path below the scanned prefix. */
  key: string;
  path: string;
  /** Its copy's key in the quarantine bucket. */
  to: string;
  /** The object as the scan judged it: only this version is moved. */
  etag: string;
  size: number;
  findings: { ruleId: string; severity: string; message: string }[];
}

interface Place {
  bucket: string;
  key: string;
}

export interface BucketRun {
  client: S3Client;
  quarantine: BucketLocation;
  /** s3://QBUCKET/QPREFIX/run-…/ */
  runDir: string;
  runPrefix: string;
  /** The scanned location, s3://BUCKET/PREFIX/ */
  root: string;
  journal: BucketJournal<ObjectIntent>;
  lock: BucketLock;
  resumed: boolean;
  recovered: number;
  nextId: number;
}

/** Where the markers of unfinished runs are kept. */
const openMarkers = (quarantine: BucketLocation): string => `${quarantine.prefix}open/`;

const head = (client: S3Client, at: Place) => headObject(client, at.bucket, at.key);

const remove = (client: S3Client, at: Place) =>
  client.send(new DeleteObjectCommand({ Bucket: at.bucket, Key: at.key }));

/**
 * A key as the copy-source header carries it: URL-encoded, except the characters a URL path may
 * hold as they are (`$&,;:=@`), which stores that decode the header with decodeURI (s3rver) would
 * otherwise leave encoded. `+` stays encoded: some decoders read it as a space.
 */
const copySourceKey = (key: string): string =>
  key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(/%(24|26|2C|3B|3A|3D|40)/g, (e) => decodeURIComponent(e)),
    )
    .join('/');

/** Copy with the object's Content-Type and metadata; `ifMatch`: only that version of it. */
async function copy(client: S3Client, from: Place, to: Place, ifMatch?: string): Promise<void> {
  await client.send(
    new CopyObjectCommand({
      Bucket: to.bucket,
      Key: to.key,
      CopySource: `${from.bucket}/${copySourceKey(from.key)}`,
      MetadataDirective: 'COPY',
      ...(ifMatch !== undefined && { CopySourceIfMatch: ifMatch }),
    }),
  );
}

/** Why a step on an object failed, in words. */
function whyFailed(error: unknown): string {
  if (error instanceof Error && !('$metadata' in error)) return error.message;
  const { status, text } = describe(error);
  if (status === 412) return 'it changed since the scan; left in place';
  if (status === 404) return 'vanished since the scan';
  return text;
}

/**
 * Copy, verify, delete. When it throws, the original is still in place (or was rewritten, and
 * that new object is left alone) and no copy of it is left in the quarantine.
 */
async function moveObject(
  client: S3Client,
  from: Place,
  to: Place,
  etag: string,
  size: number,
): Promise<string> {
  await copy(client, from, to, etag);
  const copied = await head(client, to);
  if (copied?.ContentLength !== size) {
    await remove(client, to);
    throw new Error('the copy does not match the original (size differs); left in place');
  }
  // Delete only what was copied. Stores that ignore the copy's condition are caught here too.
  const now = await head(client, from);
  if (now && now.ETag !== etag) {
    await remove(client, to);
    throw new Error('it changed while it was being moved; left in place');
  }
  if (now) await remove(client, from);
  return copied.ETag ?? '';
}

/** Finish what a killed run left open for one object, from where its copies are now. */
async function recoverIntent(run: BucketRun, source: BucketLocation, intent: ObjectIntent): Promise<void> {
  const from = { bucket: source.bucket, key: intent.key };
  const to = { bucket: run.quarantine.bucket, key: intent.to };
  try {
    const [copied, original] = await Promise.all([head(run.client, to), head(run.client, from)]);
    const judged = original?.ETag === intent.etag;
    if (copied?.ContentLength === intent.size) {
      if (judged) await remove(run.client, from); // a verified copy whose delete did not happen
      await run.journal.append({ op: 'done', id: intent.id, ...(copied.ETag && { etag: copied.ETag }) });
    } else if (judged) {
      if (copied) await remove(run.client, to);
      const etag = await moveObject(run.client, from, to, intent.etag, intent.size);
      await run.journal.append({ op: 'done', id: intent.id, etag });
    } else {
      await run.journal.append({
        op: 'failed',
        id: intent.id,
        why: 'vanished or changed before it was moved',
      });
    }
  } catch (error) {
    await run.journal.append({ op: 'failed', id: intent.id, why: whyFailed(error) });
  }
}

/**
 * Take the quarantine's lock, then resume the newest unfinished run for this root (finishing its
 * open intents), or begin a new one. Release with `closeBucketRun`.
 */
export async function openBucketRun(
  client: S3Client,
  quarantineUrl: string,
  root: string,
  now: Date,
): Promise<BucketRun> {
  const quarantine = parseBucketUrl(quarantineUrl, 'use as quarantine');
  const source = parseBucketUrl(root);
  const lock = await lockBucketQuarantine(client, quarantine, quarantineUrl, 'fix --apply');
  const run = (
    runPrefix: string,
    journal: BucketJournal<ObjectIntent>,
    resumed: boolean,
    nextId: number,
  ) => ({
    client,
    quarantine,
    runDir: bucketUrl(quarantine.bucket, runPrefix),
    runPrefix,
    root,
    journal,
    lock,
    resumed,
    recovered: 0,
    nextId,
  });
  try {
    // Each unfinished run has a marker under open/ (written before its first record, removed
    // once it is complete): a resume reads only those, never every run's journal.
    for (const marker of (await listKeys(client, quarantine.bucket, openMarkers(quarantine)))
      .sort()
      .reverse()) {
      const runPrefix = `${quarantine.prefix}${marker.slice(openMarkers(quarantine).length)}/`;
      const { records, last } = await readBucketJournal<ObjectIntent>(client, quarantine.bucket, runPrefix);
      const state = journalState(records);
      if (state.complete || state.root === undefined) {
        await remove(client, { bucket: quarantine.bucket, key: marker }); // finished, or never begun
        continue;
      }
      if (state.root !== root) continue;
      const resumed = run(
        runPrefix,
        new BucketJournal(client, quarantine.bucket, runPrefix, last, records),
        true,
        state.nextId,
      );
      const open = state.intents.filter((i) => !state.done.has(i.id) && !state.failed.has(i.id));
      for (const intent of open) await recoverIntent(resumed, source, intent);
      resumed.recovered = open.length;
      return resumed;
    }
    const name = `run-${now.toISOString().replace(/[:.]/g, '-')}`;
    const runPrefix = `${quarantine.prefix}${name}/`;
    await client.send(
      new PutObjectCommand({
        Bucket: quarantine.bucket,
        Key: `${openMarkers(quarantine)}${name}`,
        Body: root,
      }),
    );
    const begun = run(runPrefix, new BucketJournal(client, quarantine.bucket, runPrefix, 0), false, 1);
    await begun.journal.append({ op: 'begin', run: begun.runDir, root, time: now.toISOString() });
    return begun;
  } catch (error) {
    await lock.release();
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot use quarantine '${quarantineUrl}': ${whyFailed(error)}`);
  }
}

/** Move each flagged object of the plan into the run, journal first. */
export async function applyBucketPlan(
  plan: Plan,
  flagged: ReadonlyMap<string, FlaggedObject>,
  run: BucketRun,
): Promise<ApplyResult> {
  const source = parseBucketUrl(run.root);
  const result: ApplyResult = { moved: 0, bytes: 0, chmodded: 0, failed: [] };
  for (const action of plan.actions) {
    const object = flagged.get(action.path);
    const skip = (why: string) => result.failed.push({ path: action.path, why });
    if (action.kind !== 'quarantine') {
      skip('an object has no permission bits to change');
      continue;
    }
    if (object?.etag === undefined) {
      skip('the store gave no ETag for it, so a move could not be checked; left in place');
      continue;
    }
    const intent: ObjectIntent = {
      op: 'intent',
      id: run.nextId++,
      action: 'quarantine',
      key: object.key,
      path: action.path,
      to: `${run.runPrefix}files/${run.nextId - 1}`,
      etag: object.etag,
      size: object.size,
      findings: findingNotes(action.findings),
    };
    await run.journal.append(intent);
    let etag: string;
    try {
      const from = { bucket: source.bucket, key: intent.key };
      etag = await moveObject(
        run.client,
        from,
        { bucket: run.quarantine.bucket, key: intent.to },
        intent.etag,
        intent.size,
      );
    } catch (error) {
      await run.journal.append({ op: 'failed', id: intent.id, why: whyFailed(error) });
      skip(whyFailed(error));
      continue;
    }
    await run.journal.append({ op: 'done', id: intent.id, etag });
    result.moved++;
    result.bytes += intent.size;
  }
  return result;
}

async function writeManifest(
  run: Pick<BucketRun, 'client' | 'quarantine' | 'runPrefix'>,
  state: JournalState<ObjectIntent>,
) {
  await run.client.send(
    new PutObjectCommand({
      Bucket: run.quarantine.bucket,
      Key: `${run.runPrefix}manifest.json`,
      Body: manifestOf(state),
      ContentType: 'application/json',
    }),
  );
}

/** Mark the run complete and write its manifest (derived from the journal), then release it. */
export async function completeBucketRun(run: BucketRun, now: Date): Promise<void> {
  try {
    await run.journal.append({ op: 'complete', time: now.toISOString() });
    await writeManifest(run, journalState(run.journal.records));
  } finally {
    await closeBucketRun(run);
  }
}

/** Release the quarantine (also after a failure); safe to call twice. */
export const closeBucketRun = (run: BucketRun): Promise<void> => run.lock.release();

class Conflict extends Error {}

/** Put one object back from the quarantine; a conflict unless what stands there is ours. */
async function restoreObject(
  client: S3Client,
  source: BucketLocation,
  runPrefix: string,
  quarantine: BucketLocation,
  intent: ObjectIntent,
  force: boolean,
): Promise<string | undefined> {
  const from = { bucket: quarantine.bucket, key: intent.to };
  const to = { bucket: source.bucket, key: intent.key };
  const [kept, there] = await Promise.all([head(client, from), head(client, to)]);
  if (!kept) {
    if (there) return undefined; // back already: a restore killed after its delete, or never moved
    throw new Error('its quarantined copy is gone');
  }
  // Ours: the original never deleted (the judged version), or the quarantined bytes themselves
  // (a restore killed after its copy back landed).
  const ours =
    there !== undefined &&
    (there.ETag === intent.etag || (there.ETag === kept.ETag && there.ContentLength === kept.ContentLength));
  let movedAside: string | undefined;
  if (there && !ours) {
    if (!force) throw new Conflict();
    const aside = { bucket: quarantine.bucket, key: `${runPrefix}aside/${intent.id}` };
    await copy(client, to, aside, there.ETag);
    movedAside = bucketUrl(aside.bucket, aside.key);
  }
  if (!ours) await copy(client, from, to);
  const back = await head(client, to);
  if (back?.ContentLength !== intent.size) throw new Error('the copy back does not match (size differs)');
  await remove(client, from);
  return movedAside;
}

export async function restoreBucketRun(
  client: S3Client,
  runUrl: string,
  options: { only?: string; force: boolean; now: Date },
): Promise<RestoreResult> {
  const location = parseBucketUrl(runUrl, 'restore');
  const runPrefix = location.prefix;
  const name = /(^|\/)(run-[^/]+)\/$/.exec(runPrefix);
  if (!name)
    throw new InputError(`'${runUrl}' is not a quarantine run (expected s3://BUCKET[/PREFIX]/run-…)`);
  const quarantine = {
    bucket: location.bucket,
    prefix: runPrefix.slice(0, runPrefix.length - name[2]!.length - 1),
  };
  const journal = await readBucketJournal<ObjectIntent>(client, location.bucket, runPrefix).catch(
    (error: unknown) => {
      throw new InputError(`cannot read '${runUrl}': ${whyFailed(error)}`);
    },
  );
  const state = journalState(journal.records);
  if (state.root === undefined)
    throw new InputError(`'${runUrl}' is not a quarantine run (no journal with a begin record)`);
  const source = parseBucketUrl(state.root);
  const lock = await lockBucketQuarantine(
    client,
    quarantine,
    bucketUrl(quarantine.bucket, quarantine.prefix),
    'restore',
  );
  const result: RestoreResult = { restored: 0, conflicts: [], failed: [] };
  const run = { client, quarantine, runPrefix };
  try {
    const writer = new BucketJournal(client, location.bucket, runPrefix, journal.last, journal.records);
    for (const intent of toRestore(state, options.only)) {
      try {
        await writer.append({ op: 'restoring', id: intent.id });
        const movedAsideTo = await restoreObject(
          client,
          source,
          runPrefix,
          quarantine,
          intent,
          options.force,
        );
        await writer.append({ op: 'restored', id: intent.id, time: options.now.toISOString() });
        result.restored++;
        if (movedAsideTo) result.conflicts.push({ path: intent.path, movedAsideTo });
      } catch (error) {
        if (error instanceof Conflict) result.conflicts.push({ path: intent.path });
        else result.failed.push({ path: intent.path, why: whyFailed(error) });
      }
    }
    await writeManifest(run, journalState(writer.records));
  } finally {
    await lock.release();
  }
  return result;
}
