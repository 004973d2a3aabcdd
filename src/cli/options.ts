/** Option parsing shared by every command: repeatable values, counts, and which policy applies. */
import { type Command, InvalidArgumentError } from 'commander';
import { discoverPolicy, loadPolicyFile, policyTrustProblems } from '../policy/load.js';
import { defaultPolicySet, type PolicySet } from '../policy/policy.js';
import { DEFAULT_MAX_REQUESTS } from '../sources/s3/location.js';
import { InputError } from '../util/errors.js';
import { escapeUnsafe } from '../util/escape.js';

/** For repeatable options: `--x a --x b` → ['a', 'b']. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

function wholeNumber(value: string, max: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new InvalidArgumentError(
      max === Number.MAX_SAFE_INTEGER
        ? 'expected a whole number of at least 1'
        : `expected a whole number from 1 to ${max}`,
    );
  return n;
}

/** Threads, reports to keep: a whole number from 1 to 256. */
export const positiveInt = (value: string): number => wholeNumber(value, 256);

/** Entries of a folder, requests, milliseconds: a whole number of at least 1. */
export const entryCount = (value: string): number => wholeNumber(value, Number.MAX_SAFE_INTEGER);

/** --policy FILE, else a discovered upload-audit.yaml (unless --no-policy-discovery), else the default. */
export function choosePolicy(
  flags: { policy?: string | undefined; policyDiscovery: boolean },
  rootReal: string | undefined,
): PolicySet {
  if (flags.policy !== undefined) return loadPolicyFile(flags.policy);
  // The policy a service's operators set once for every run (a cron line, a CI variable).
  const fromEnv = process.env.UPLOAD_AUDIT_POLICY;
  if (fromEnv !== undefined && fromEnv !== '') {
    try {
      return loadPolicyFile(fromEnv);
    } catch (error) {
      // Named, so nobody hunts for a --policy they never gave.
      if (error instanceof InputError) throw new InputError(`(from UPLOAD_AUDIT_POLICY) ${error.message}`);
      throw error;
    }
  }
  const found = flags.policyDiscovery ? discoverPolicy(rootReal, process.cwd()) : undefined;
  if (!found) return defaultPolicySet();
  const problems = policyTrustProblems(found);
  // Said even with --quiet: the policy decides what is reported at all.
  if (problems.length > 0)
    process.stderr.write(
      `upload-audit: warning: using the policy '${escapeUnsafe(found)}' found by discovery, but ${problems.join(' and ')}; name the policy you mean with --policy, or use --no-policy-discovery\n`,
    );
  return loadPolicyFile(found);
}

/** The options of commands that reach a bucket (`s3://` roots and quarantines). */
export interface BucketFlags {
  endpointUrl?: string;
  pathStyle: boolean;
  maxRequests: number;
}

export function addBucketOptions(command: Command): Command {
  return command
    .option('--endpoint-url <url>', 's3:// roots: the S3-compatible endpoint (AWS_ENDPOINT_URL is also read)')
    .option(
      '--path-style',
      's3:// roots: path-style addressing (host/bucket/key), as MinIO and most self-hosted stores need',
      false,
    )
    .option(
      '--max-requests <n>',
      's3:// roots: requests in flight at most',
      positiveInt,
      DEFAULT_MAX_REQUESTS,
    );
}

/** The S3 client's options from a command's flags. */
export const bucketClientOptions = (flags: BucketFlags) => ({
  maxRequests: flags.maxRequests,
  pathStyle: flags.pathStyle,
  ...(flags.endpointUrl !== undefined && { endpoint: flags.endpointUrl }),
});
