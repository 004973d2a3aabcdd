/**
 * JUnit XML that Jenkins and GitLab read: one test suite per category, a failing test case per
 * finding at or above --fail-on, skipped ones for findings below it or suppressed, and an error
 * per entry that could not be evaluated. Counts are computed from the cases written.
 */

import { reaches } from '../audit/severity.js';
import { CATEGORIES, type Finding, type Report } from '../model/types.js';
import { renderMessage } from '../rules/messages.js';
import { findingPlace, xmlEscape } from './shared.js';
import type { Reporter } from './types.js';

interface Case {
  name: string;
  classname: string;
  outcome?: { tag: 'failure' | 'error' | 'skipped'; type?: string; message: string; body?: string };
}

const time = (ms: number): string => (ms / 1000).toFixed(3);

function findingCase(f: Finding, report: Report): Case {
  const name = `${f.ruleId}: ${findingPlace(f)}`;
  const message = renderMessage(f);
  const body = [
    `severity: ${f.severity}`,
    `path: ${f.path}`,
    ...Object.entries(f.evidence).map(([k, v]) => `${k}: ${String(v)}`),
    `fingerprint: ${f.fingerprint}`,
  ].join('\n');
  const failOn = report.summary.failOn;
  const judged = report.comparison ? report.comparison.new.includes(f) : true;
  let outcome: Case['outcome'];
  if (f.suppressed)
    outcome = { tag: 'skipped', message: `suppressed by ${f.suppressed.by}: ${f.suppressed.reason}` };
  else if (reaches(f.severity, failOn) && judged) outcome = { tag: 'failure', type: f.ruleId, message, body };
  else
    outcome = {
      tag: 'skipped',
      message: judged
        ? `${f.severity}: below --fail-on ${failOn}: ${message}`
        : `unchanged since the baseline: ${message}`,
    };
  return { name, classname: `upload-audit.${f.category}`, outcome };
}

/** What the verdict covers, as properties every suite carries (JUnit has no place above suites). */
function coverageProperties(report: Report): string[] {
  const s = report.summary;
  const property = (name: string, value: number) => `      <property name="${name}" value="${value}"/>`;
  return [
    '    <properties>',
    property('upload-audit.files.present', s.files),
    property('upload-audit.files.evaluated', s.filesEvaluated ?? 0),
    property('upload-audit.bytes.present', s.bytes),
    property('upload-audit.bytes.evaluated', s.bytesEvaluated ?? 0),
    property('upload-audit.entries.not-evaluated', s.notEvaluated),
    '    </properties>',
  ];
}

function suite(name: string, cases: Case[], properties: string[]): string {
  const count = (tag: string) => cases.filter((c) => c.outcome?.tag === tag).length;
  const lines = [
    `  <testsuite name="${xmlEscape(name)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="0.000">`,
    ...properties,
  ];
  for (const c of cases) {
    const attrs = `name="${xmlEscape(c.name)}" classname="${xmlEscape(c.classname)}" time="0"`;
    if (!c.outcome) {
      lines.push(`    <testcase ${attrs}/>`);
      continue;
    }
    const { tag, type, message, body } = c.outcome;
    const typeAttr = type === undefined ? '' : ` type="${xmlEscape(type)}"`;
    lines.push(
      `    <testcase ${attrs}>`,
      `      <${tag}${typeAttr} message="${xmlEscape(message)}"${body === undefined ? '/>' : `>${xmlEscape(body)}</${tag}>`}`,
      '    </testcase>',
    );
  }
  lines.push('  </testsuite>');
  return lines.join('\n');
}

export const junit: Reporter = (report) => {
  const suites: [string, Case[]][] = CATEGORIES.map((category) => {
    const cases = report.findings.filter((f) => f.category === category).map((f) => findingCase(f, report));
    return [
      `upload-audit.${category}`,
      cases.length > 0
        ? cases
        : [{ name: `${category}: no findings`, classname: `upload-audit.${category}` }],
    ];
  });
  const allowed = report.summary.failed === false && report.notEvaluated.length > 0;
  const unevaluated: Case[] = report.notEvaluated.map((n) => ({
    name: `not evaluated: ${n.path}`,
    classname: 'upload-audit.not-evaluated',
    outcome: allowed
      ? { tag: 'skipped', message: `${n.reason}: ${n.detail ?? ''} (allowed)` }
      : { tag: 'error', type: n.reason, message: `${n.reason}: ${n.detail ?? ''}` },
  }));
  if (unevaluated.length > 0) suites.push(['upload-audit.not-evaluated', unevaluated]);
  const all = suites.flatMap(([, cases]) => cases);
  const total = (tag: string) => all.filter((c) => c.outcome?.tag === tag).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="upload-audit: ${xmlEscape(report.root)}" tests="${all.length}" failures="${total('failure')}" errors="${total('error')}" time="${time(report.durationMs)}">`,
    ...suites.map(([name, cases]) => suite(name, cases, coverageProperties(report))),
    '</testsuites>',
    '',
  ].join('\n');
};
