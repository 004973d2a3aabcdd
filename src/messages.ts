import { ruleById } from './rules/index.js';
import type { Finding } from './types.js';

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

/** Words for a finding: its rule's template (`{key}` or `{key|bytes}`) filled from the evidence. Not escaped. */
export function renderMessage(finding: Pick<Finding, 'ruleId' | 'messageId' | 'evidence'>): string {
  const template = ruleById(finding.ruleId)?.messages[finding.messageId] ?? finding.messageId;
  return template.replace(/\{(\w+)(?:\|(\w+))?\}/g, (whole, key: string, format?: string) => {
    if (!Object.hasOwn(finding.evidence, key)) return whole;
    const value = finding.evidence[key]!;
    const formatter = format === undefined ? undefined : FORMATTERS[format];
    return formatter ? formatter(value) : String(value);
  });
}
