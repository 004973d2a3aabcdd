import { isPlainName } from '../inspect/names.js';
import type { EntryKind, Finding, FindingDraft, InspectedFile, Severity } from '../model/types.js';
import type { Policy, SeverityOrOff } from '../policy/policy.js';
import type { Rule } from '../rules/define.js';
import { RULES } from '../rules/index.js';

/** A finding before the content hash and fingerprint are known. */
export type PendingFinding = Omit<Finding, 'fingerprint' | 'sha256'>;

/** The one place severity is decided: rule id override, then category override, then default. */
function severityFor(rule: Pick<Rule, 'id' | 'category' | 'defaultSeverity'>, policy: Policy): SeverityOrOff {
  return policy.severity[rule.id] ?? policy.severity[rule.category] ?? rule.defaultSeverity;
}

const NONE: readonly FindingDraft[] = [];

function asArray(result: FindingDraft | readonly FindingDraft[] | undefined): readonly FindingDraft[] {
  if (result === undefined) return NONE;
  return Array.isArray(result) ? result : [result as FindingDraft];
}

type Weighed = readonly { rule: Rule; severity: Severity }[];

/**
 * Per policy, rule list and entry kind: the rules that apply and are not off, each with its
 * severity; the second list leaves out the rules that find nothing in a plain name.
 */
const weighedCache = new WeakMap<Policy, WeakMap<readonly Rule[], Map<EntryKind, [Weighed, Weighed]>>>();

function weighed(policy: Policy, rules: readonly Rule[], kind: EntryKind, plainName: boolean): Weighed {
  let byRules = weighedCache.get(policy);
  if (!byRules) {
    byRules = new WeakMap();
    weighedCache.set(policy, byRules);
  }
  let byKind = byRules.get(rules);
  if (!byKind) {
    byKind = new Map();
    byRules.set(rules, byKind);
  }
  let lists = byKind.get(kind);
  if (!lists) {
    const list = rules.flatMap((rule) => {
      const severity = severityFor(rule, policy);
      return rule.kinds.includes(kind) && severity !== 'off' ? [{ rule, severity }] : [];
    });
    lists = [list, list.filter(({ rule }) => !rule.skipsPlainNames)];
    byKind.set(kind, lists);
  }
  return lists[plainName ? 1 : 0];
}

/** Run every rule that applies to this kind of entry; weigh what they find by the policy. */
export function evaluate(
  file: InspectedFile,
  policy: Policy,
  rules: readonly Rule[] = RULES,
): PendingFinding[] {
  const findings: PendingFinding[] = [];
  const context = { policy };
  const plainName = !file.invalidUtf8Name && isPlainName(file.name);
  for (const { rule, severity } of weighed(policy, rules, file.kind, plainName)) {
    if (rule.needs !== undefined && file[rule.needs] === undefined) continue;
    for (const d of asArray(rule.check(file, context))) {
      const finding: PendingFinding = {
        kind: file.kind,
        ruleId: rule.id,
        category: rule.category,
        severity,
        path: file.path,
        messageId: d.messageId,
        evidence: d.evidence,
      };
      if (file.pathBase64 !== undefined) finding.pathBase64 = file.pathBase64;
      if (d.innerPath !== undefined) finding.innerPath = d.innerPath;
      findings.push(finding);
    }
  }
  return findings;
}
