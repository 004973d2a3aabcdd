/**
 * Who besides the bucket's owner may read or write an object: a bucket policy or an ACL that
 * grants it to everyone. Read once per scan from the bucket (its policy, its ACL, its public
 * access block and object ownership), and per object only when asked (`--object-acls`: one
 * request per object, which a listing-only scan never makes).
 *
 * Read conservatively, so that a finding is a real grant: a policy statement counts when it
 * allows a public principal with no Condition (a condition such as a source IP or VPC makes it
 * not public, as AWS's own policy-status check reads it), and a public Deny without a condition
 * takes it away. What a store does not report (S3-compatible stores that implement no policy or
 * ACL API, or a 403 for lack of permission) is said in the run's notes, never taken as private
 * silently. The account-wide public access block (S3 Control API) is not read.
 */
import { createHash } from 'node:crypto';
import {
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetObjectAclCommand,
  GetPublicAccessBlockCommand,
  type Grant,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { PublicAccess } from '../../model/types.js';
import { describe } from './client.js';

const PUBLIC_GROUPS = new Set([
  'http://acs.amazonaws.com/groups/global/AllUsers',
  // Any AWS account holder at all, which is everyone who cares to make one.
  'http://acs.amazonaws.com/groups/global/AuthenticatedUsers',
]);

type Access = 'read' | 'write';

interface Statement {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: unknown;
}

/** A policy's pattern (`*`, `?`) as a whole-string match; actions ignore case, keys do not. */
function pattern(glob: string, ignoreCase = false): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, ignoreCase ? 'is' : 's');
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function isPublicPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
  return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
}

/** The S3 actions a statement's action patterns cover, as read and write of an object. */
function accessOf(actions: string[]): Set<Access> {
  const covers = (action: string) => actions.some((a) => pattern(a, true).test(action));
  const out = new Set<Access>();
  if (covers('s3:GetObject')) out.add('read');
  if (covers('s3:PutObject') || covers('s3:DeleteObject')) out.add('write');
  return out;
}

interface PolicyGrant {
  allow: boolean;
  access: Set<Access>;
  /** Keys of this bucket the statement's resources cover. */
  keys: RegExp[];
}

/** The public statements of a bucket policy that name objects of `bucket`. */
export function publicStatements(policyJson: string, bucket: string): PolicyGrant[] {
  const policy = JSON.parse(policyJson) as { Statement?: Statement | Statement[] };
  const statements = Array.isArray(policy.Statement)
    ? policy.Statement
    : policy.Statement
      ? [policy.Statement]
      : [];
  const grants: PolicyGrant[] = [];
  for (const s of statements) {
    if (s.Condition !== undefined || !isPublicPrincipal(s.Principal)) continue;
    const access = accessOf(list(s.Action));
    if (access.size === 0) continue;
    const keys = list(s.Resource).flatMap((resource) => {
      if (resource === '*') return [/^/s];
      const arn = pattern(resource);
      // The resource names objects as arn:aws:s3:::BUCKET/KEY: match the key part of the
      // pattern, where the bucket part matches this bucket.
      const prefix = `arn:aws:s3:::${bucket}/`;
      const slash = resource.indexOf('/');
      if (slash < 0 || !pattern(resource.slice(0, slash + 1)).test(prefix))
        return arn.test(prefix) ? [/^/s] : [];
      return [pattern(resource.slice(slash + 1))];
    });
    if (keys.length > 0) grants.push({ allow: s.Effect === 'Allow', access, keys });
  }
  return grants;
}

/** What an ACL's grants give everyone: read of the object, write (or a change of its ACL). */
function aclAccess(grants: Grant[] | undefined, forBucket: boolean): Set<Access> {
  const out = new Set<Access>();
  for (const g of grants ?? []) {
    if (g.Grantee?.Type !== 'Group' || !PUBLIC_GROUPS.has(g.Grantee.URI ?? '')) continue;
    const p = g.Permission;
    // On a bucket, READ lists it (not an object read) and WRITE creates and overwrites objects.
    if (!forBucket && (p === 'READ' || p === 'FULL_CONTROL')) out.add('read');
    if (p === 'FULL_CONTROL' || p === 'WRITE_ACP' || (forBucket && p === 'WRITE')) out.add('write');
  }
  return out;
}

export interface BucketExposure {
  /** Whether per-object ACLs can grant anything (ACLs enabled and not ignored). */
  readonly aclsApply: boolean;
  /** What could not be checked, and why (for the run's note). */
  readonly notes: string[];
  /** Changes whenever what the bucket grants changes: bound into incremental state keys. */
  readonly digest: string;
  /** Who may read or write `key` beyond its owner, from the bucket and `objectAcl`. */
  of(key: string, objectAcl?: Set<Access>): PublicAccess | undefined;
}

/** Run one bucket-level read; a store that does not answer it is a note, `missing` an answer. */
async function ask<T>(
  what: string,
  notes: string[],
  missing: string[],
  request: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await request();
  } catch (error) {
    const { name, status, text } = describe(error);
    if (missing.includes(name) || (status === 404 && name !== 'NoSuchBucket')) return undefined;
    notes.push(`${what} not reported (${text})`);
    return undefined;
  }
}

export async function bucketExposure(client: S3Client, bucket: string): Promise<BucketExposure> {
  const notes: string[] = [];
  const Bucket = bucket;
  const [ownership, block, policy, acl] = await Promise.all([
    ask('object ownership', notes, ['OwnershipControlsNotFoundError'], () =>
      client.send(new GetBucketOwnershipControlsCommand({ Bucket })),
    ),
    ask('public access block', notes, ['NoSuchPublicAccessBlockConfiguration'], () =>
      client.send(new GetPublicAccessBlockCommand({ Bucket })),
    ),
    ask('bucket policy', notes, ['NoSuchBucketPolicy'], () =>
      client.send(new GetBucketPolicyCommand({ Bucket })),
    ),
    ask('bucket ACL', notes, [], () => client.send(new GetBucketAclCommand({ Bucket }))),
  ]);
  const blocked = block?.PublicAccessBlockConfiguration;
  // Object Ownership "bucket owner enforced" (the default for new AWS buckets) disables ACLs.
  const aclsEnabled =
    ownership?.OwnershipControls?.Rules?.some((r) => r.ObjectOwnership === 'BucketOwnerEnforced') !== true &&
    blocked?.IgnorePublicAcls !== true;
  let statements: PolicyGrant[] = [];
  if (policy?.Policy !== undefined && blocked?.RestrictPublicBuckets !== true) {
    try {
      statements = publicStatements(policy.Policy, bucket);
    } catch {
      notes.push('bucket policy not read (not JSON)');
    }
  }
  const bucketAcl = aclsEnabled ? aclAccess(acl?.Grants, true) : new Set<Access>();
  const granted = (key: string, access: Access): boolean => {
    const matches = statements.filter((s) => s.access.has(access) && s.keys.some((k) => k.test(key)));
    return matches.some((s) => s.allow) && !matches.some((s) => !s.allow);
  };
  return {
    aclsApply: aclsEnabled,
    notes,
    digest: createHash('sha256')
      .update(JSON.stringify([aclsEnabled, policy?.Policy ?? null, blocked ?? null, [...bucketAcl]]))
      .digest('hex')
      .slice(0, 16),
    of(key, objectAcl) {
      const out: PublicAccess = {};
      const via = (access: Access): string | undefined =>
        granted(key, access)
          ? 'the bucket policy'
          : bucketAcl.has(access)
            ? 'the bucket ACL'
            : aclsEnabled && objectAcl?.has(access)
              ? 'its ACL'
              : undefined;
      const read = via('read');
      const write = via('write');
      if (read !== undefined) out.read = read;
      if (write !== undefined) out.write = write;
      return read === undefined && write === undefined ? undefined : out;
    },
  };
}

/** An object's ACL, as what it grants everyone; undefined when the store does not answer. */
export async function objectAcl(client: S3Client, bucket: string, key: string): Promise<Set<Access>> {
  const acl = await client.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }));
  return aclAccess(acl.Grants, false);
}
