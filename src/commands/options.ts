/** Option parsing shared by every command: repeatable values, counts, and which policy applies. */
import { InvalidArgumentError } from 'commander';
import { discoverPolicy, loadPolicyFile } from '../policy/load.js';
import { defaultPolicySet, type PolicySet } from '../policy/policy.js';

/** For repeatable options: `--x a --x b` → ['a', 'b']. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new InvalidArgumentError('expected a whole number from 1 to 256');
  return n;
}

/** --policy FILE, else a discovered upload-audit.yaml (unless --no-policy-discovery), else the default. */
export function choosePolicy(
  flags: { policy?: string | undefined; policyDiscovery: boolean },
  rootReal: string | undefined,
): PolicySet {
  if (flags.policy !== undefined) return loadPolicyFile(flags.policy);
  const found = flags.policyDiscovery ? discoverPolicy(rootReal, process.cwd()) : undefined;
  return found ? loadPolicyFile(found) : defaultPolicySet();
}
