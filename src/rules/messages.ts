import type { Finding } from '../model/types.js';
import { formatCount } from '../util/format.js';
import { ownValue } from '../util/own.js';
import { ruleById } from './index.js';

/** 1536 → "1.5 KiB"; exact bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

const FORMATTERS: Record<string, (value: string | number | boolean) => string> = {
  bytes: (v) => (typeof v === 'number' ? formatBytes(v) : String(v)),
};

/** A message template cut at its `{key}` / `{key|format}` placeholders. */
type Compiled = readonly (string | { whole: string; key: string; format: string | undefined })[];

const compiled = new Map<string, Compiled>();

function compile(template: string): Compiled {
  let parts = compiled.get(template);
  if (parts === undefined) {
    const out: Compiled[number][] = [];
    let last = 0;
    for (const m of template.matchAll(/\{(\w+)(?:\|(\w+))?\}/g)) {
      out.push(template.slice(last, m.index), { whole: m[0], key: m[1]!, format: m[2] });
      last = m.index + m[0].length;
    }
    out.push(template.slice(last));
    parts = out;
    compiled.set(template, parts);
  }
  return parts;
}

/** Words for a finding: its rule's template (`{key}` or `{key|bytes}`) filled from the evidence. Not escaped. */
export function renderMessage(finding: Pick<Finding, 'ruleId' | 'messageId' | 'evidence' | 'count'>): string {
  const text = renderTemplate(finding);
  // A log's later occurrences of one finding are counted on the last one listed.
  return finding.count === undefined || finding.count < 2
    ? text
    : `${text} (and ${formatCount(finding.count - 1)} more like it, not listed)`;
}

function renderTemplate(finding: Pick<Finding, 'ruleId' | 'messageId' | 'evidence'>): string {
  // Message ids come from reports too (convert, merge): only the rule's own templates count.
  const rule = ruleById(finding.ruleId);
  const template = (rule && ownValue(rule.messages, finding.messageId)) ?? finding.messageId;
  let text = '';
  for (const part of compile(template)) {
    if (typeof part === 'string') text += part;
    else if (!Object.hasOwn(finding.evidence, part.key)) text += part.whole;
    else {
      const value = finding.evidence[part.key]!;
      const formatter = part.format === undefined ? undefined : ownValue(FORMATTERS, part.format);
      text += formatter ? formatter(value) : String(value);
    }
  }
  return text;
}
