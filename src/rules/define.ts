import type { Category, EntryKind, FindingDraft, InspectedFile, Severity } from '../model/types.js';
import type { Policy } from '../policy/policy.js';

interface RuleMeta {
  /** `category/name`; part of the output contract. */
  id: string;
  category: Category;
  defaultSeverity: Severity;
  /** One line: what it checks. */
  description: string;
  /** Why it matters: the attack it stops. */
  rationale: string;
  /** How to fix it (or accept it). */
  fix: string;
  /** Entry kinds the rule looks at; evaluate never calls it for others. */
  kinds: readonly EntryKind[];
  /**
   * A fact the rule can find nothing without: evaluate skips the rule for records that lack it
   * (most files have no archive listing, no active-content hit and no bound hit). A test holds
   * every rule to it.
   */
  needs?: RecordFact;
  /**
   * The rule looks only at the characters of a name (encodings, separators, controls, length, a
   * leading dot or dash), so it can find nothing in a plain name (`isPlainName`): evaluate does
   * not call it for one, as it does not for most upload names. A test holds every such rule to it.
   */
  skipsPlainNames?: true;
  /** Message templates keyed by messageId; `{name}` is filled from the finding's evidence. */
  messages: Record<string, string>;
}

/** Every kind of entry, for rules about names, which every entry (and upload record) has. */
export const ALL_KINDS = [
  'file',
  'directory',
  'symlink',
  'fifo',
  'socket',
  'block-device',
  'char-device',
  'upload',
] as const;

/** Optional facts of an inspected record that whole rule families depend on. */
type RecordFact = 'archive' | 'active' | 'incomplete' | 'mode' | 'nlink' | 'publicAccess';

export interface RuleContext {
  policy: Policy;
}

type RuleResult = FindingDraft | readonly FindingDraft[] | undefined;

export interface Rule extends RuleMeta {
  /** Pure: no I/O, no clock, no randomness. */
  check(file: InspectedFile, context: RuleContext): RuleResult;
}

/** Identity helper: exists so each rule file is type-checked as a Rule. */
export function defineRule(rule: Rule): Rule {
  return rule;
}

/** The metadata of a rule made by a predicate, without the parts the family supplies. */
export type PredicateMeta = Omit<Rule, 'check' | 'category' | 'kinds' | 'messages'> & { message: string };

/**
 * A rule with one message that fires when `test` returns evidence: the shape of most rule
 * families (names, traversal forms, MIME verdicts). `messageId` is part of the output contract.
 */
export function predicateRule(
  family: Pick<Rule, 'category' | 'kinds'> & { messageId: string },
  meta: PredicateMeta,
  test: (file: InspectedFile, context: RuleContext) => FindingDraft['evidence'] | undefined,
): Rule {
  const { message, ...rest } = meta;
  return defineRule({
    ...rest,
    ...family,
    messages: { [family.messageId]: message },
    check(file, context) {
      const evidence = test(file, context);
      return evidence ? draft(family.messageId, evidence) : undefined;
    },
  });
}

export function draft(messageId: string, evidence: FindingDraft['evidence'] = {}): FindingDraft {
  return { messageId, evidence };
}
