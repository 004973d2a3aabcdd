import { analyzeName } from '../inspect/names.js';
import type { DetectedType, FindingDraft, InspectedFile } from '../model/types.js';
import { DEFAULT_POLICY, type Policy } from '../policy/policy.js';
import type { Rule } from '../rules/define.js';

/** Plain facts for a rule test: a 100-byte regular file called `name`, with overrides. */
export function facts(name: string, over: Partial<InspectedFile> = {}): InspectedFile {
  return {
    path: name,
    kind: 'file',
    name,
    size: 100,
    mode: 0o100644,
    nlink: 1,
    mtimeMs: 0,
    nameInfo: analyzeName(name),
    ...over,
  };
}

export const detected = (
  ext: string,
  mime: string,
  source: DetectedType['source'] = 'signature',
): DetectedType => ({
  ext,
  mime,
  source,
});

/** Run one rule on one record: the drafts it returns, always as an array. */
export function check(rule: Rule, file: InspectedFile, policy: Policy = DEFAULT_POLICY): FindingDraft[] {
  const result = rule.check(file, { policy });
  if (result === undefined) return [];
  return Array.isArray(result) ? [...result] : [result as FindingDraft];
}
