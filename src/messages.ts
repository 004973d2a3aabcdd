import { ruleById } from './rules/index.js';
import type { Finding } from './types.js';

/** Words for a finding: its rule's template filled from the evidence. Not escaped. */
export function renderMessage(finding: Pick<Finding, 'ruleId' | 'messageId' | 'evidence'>): string {
  const template = ruleById(finding.ruleId)?.messages[finding.messageId] ?? finding.messageId;
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    Object.hasOwn(finding.evidence, key) ? String(finding.evidence[key]) : whole,
  );
}
