/**
 * SARIF 2.1.0 as GitHub code scanning ingests it: one rule per rule id with help and a
 * security-severity, results under a uriBaseId with our fingerprint, suppressions carried as
 * SARIF suppressions, and GitHub's limits kept by leaving out the least severe results, said so.
 */

import type { Finding, Report } from '../model/types.js';
import { RULES } from '../rules/index.js';
import { renderMessage } from '../rules/messages.js';
import { jsonAsciiSafe } from '../util/escape.js';
import { SARIF_LEVEL, SECURITY_SEVERITY, uriPath, uriPathBytes } from './shared.js';
import type { Reporter } from './types.js';

/** GitHub: at most 25,000 results per run and 10 MB per (compressed) upload; we stay under both uncompressed. */
export const MAX_SARIF_RESULTS = 25_000;
export const MAX_SARIF_BYTES = 10 * 1000 * 1000;

const BASE = 'UPLOADROOT';
const RULE_INDEX = new Map(RULES.map((r, i) => [r.id, i]));
const pascal = (id: string): string => id.replace(/(^|[/-])([a-z])/g, (_, __, c: string) => c.toUpperCase());

const sarifRules = RULES.map((rule) => ({
  id: rule.id,
  name: pascal(rule.id),
  shortDescription: { text: rule.description },
  fullDescription: { text: `${rule.description} ${rule.rationale}` },
  help: {
    text: `${rule.rationale}\n\nFix: ${rule.fix}`,
    markdown: `${rule.rationale}\n\n**Fix:** ${rule.fix}`,
  },
  defaultConfiguration: { level: SARIF_LEVEL[rule.defaultSeverity] },
  properties: {
    tags: ['security', rule.category],
    precision: 'high',
    'security-severity': SECURITY_SEVERITY[rule.defaultSeverity],
  },
}));

function result(f: Finding): Record<string, unknown> {
  const where = f.location
    ? { uri: uriPath(f.location.file), region: { startLine: f.location.line } }
    : {
        uri: f.pathBase64 === undefined ? uriPath(f.path) : uriPathBytes(Buffer.from(f.pathBase64, 'base64')),
      };
  const inner = f.innerPath === undefined ? '' : ` (in the archive: ${f.innerPath})`;
  return {
    ruleId: f.ruleId,
    ruleIndex: RULE_INDEX.get(f.ruleId) ?? 0,
    level: SARIF_LEVEL[f.severity],
    message: { text: `${f.location ? `${f.path}: ` : ''}${renderMessage(f)}${inner}` },
    ...(f.count !== undefined && f.count > 1 && { occurrenceCount: f.count }),
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: where.uri, uriBaseId: BASE },
          ...(where.region && { region: where.region }),
        },
        ...(f.innerPath !== undefined && {
          logicalLocations: [
            { name: f.innerPath, fullyQualifiedName: `${f.path}!${f.innerPath}`, kind: 'resource' },
          ],
        }),
      },
    ],
    partialFingerprints: { 'uploadAudit/v1': f.fingerprint },
    properties: {
      'security-severity': SECURITY_SEVERITY[f.severity],
      severity: f.severity,
      category: f.category,
    },
    ...(f.suppressed && {
      suppressions: [
        { kind: 'external', status: 'accepted', justification: `${f.suppressed.by}: ${f.suppressed.reason}` },
      ],
    }),
  };
}

function run(report: Report, findings: Finding[], notes: string[]): Record<string, unknown> {
  const end = new Date(Date.parse(report.startedAt) + report.durationMs).toISOString();
  const notifications = [
    ...report.notEvaluated.slice(0, 1000).map((n) => ({
      level: 'warning',
      message: { text: `not evaluated: ${n.path} (${n.reason}${n.detail ? `: ${n.detail}` : ''})` },
    })),
    ...notes.map((text) => ({ level: 'warning', message: { text } })),
  ];
  if (report.notEvaluated.length > 1000)
    notifications.push({
      level: 'warning',
      message: {
        text: `${report.notEvaluated.length - 1000} more entries were not evaluated; see the JSON report`,
      },
    });
  return {
    tool: { driver: { name: 'upload-audit', semanticVersion: report.tool.version, rules: sarifRules } },
    invocations: [
      {
        executionSuccessful: true,
        startTimeUtc: report.startedAt,
        endTimeUtc: end,
        ...(notifications.length > 0 && { toolExecutionNotifications: notifications }),
      },
    ],
    ...(report.rootAbsolute !== undefined && {
      originalUriBaseIds: { [BASE]: { uri: `file://${uriPath(report.rootAbsolute.replace(/\/?$/, '/'))}` } },
    }),
    results: findings.map(result),
    properties: { root: report.root, policy: report.policy, summary: report.summary },
  };
}

const wrap = (runs: unknown[]): string =>
  `${jsonAsciiSafe(JSON.stringify({ $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs }))}\n`;

export const sarif: Reporter = (report) => {
  let findings = report.findings;
  const notes: string[] = [];
  if (findings.length > MAX_SARIF_RESULTS) {
    notes.push(
      `${findings.length - MAX_SARIF_RESULTS} of ${findings.length} results were left out (GitHub accepts ${MAX_SARIF_RESULTS} per run): the least severe; the JSON report has them all`,
    );
    findings = findings.slice(0, MAX_SARIF_RESULTS);
  }
  let text = wrap([run(report, findings, notes)]);
  while (Buffer.byteLength(text) > MAX_SARIF_BYTES && findings.length > 0) {
    const keep = Math.floor(findings.length * (MAX_SARIF_BYTES / Buffer.byteLength(text)) * 0.95);
    notes.push(
      `${findings.length - keep} more results were left out to stay under ${MAX_SARIF_BYTES} bytes (GitHub's upload limit): the least severe; the JSON report has them all`,
    );
    findings = findings.slice(0, keep);
    text = wrap([run(report, findings, notes)]);
  }
  return text;
};
