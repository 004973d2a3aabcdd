import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sortReport } from '../audit/report.js';
import { chalkFor, writeFileAtomic } from '../cli/output.js';
import type { Report } from '../model/types.js';
import { expectGolden } from '../test-support/golden.js';
import { sampleReport } from '../test-support/sample-report.js';
import { jsonAsciiSafe } from '../util/escape.js';
import { FORMATS, REPORTERS } from './index.js';
import { FINDINGS_PER_PIECE, jsonComparison, jsonFinding, jsonlPieces, jsonPieces } from './json.js';

function report() {
  const r = sampleReport();
  sortReport(r.findings, r.notEvaluated);
  return r;
}

const plain = { color: chalkFor(0) };

describe('reporters', () => {
  it.each(FORMATS)('%s matches its golden file', (format) => {
    expectGolden(`reporters/sample.${format}`, REPORTERS[format](report(), plain));
  });

  it('table: colored output matches its golden file too', () => {
    expectGolden('reporters/sample.table.color', REPORTERS.table(report(), { color: chalkFor(1) }));
    expectGolden('reporters/sample.text.color', REPORTERS.text(report(), { color: chalkFor(1) }));
  });

  it('table: lists suppressed findings only when asked', () => {
    expect(REPORTERS.table(report(), plain)).not.toContain('legacy/thumb.png');
    expect(REPORTERS.table(report(), plain)).toContain('1 suppressed (--show-suppressed to list them)');
    const shown = REPORTERS.table(report(), { ...plain, showSuppressed: true });
    expect(shown).toContain('legacy/thumb.png');
    expect(shown).toContain('low (suppressed)');
  });

  it('table: wraps long paths instead of cutting them, in color too', () => {
    const long = `deep/${'segment-'.repeat(18)}end.php`;
    for (const color of [chalkFor(0), chalkFor(1)]) {
      const r = report();
      r.findings[0] = { ...r.findings[0]!, path: long };
      const text = REPORTERS.table(r, { color, columns: 100 });
      const pathCells = text
        .split('\n')
        .filter((line) => line.startsWith('│') || line.includes('│'))
        .map(
          (line) =>
            line
              .replace(/\x1b\[[0-9;]*m/g, '')
              .split('│')[3]
              ?.trim() ?? '',
        )
        .join('');
      expect(pathCells).toContain(long);
      expect(text).not.toContain('…');
      // A color code split by wrapping would leave fragments like "[39m" at the start of a cell.
      expect(text.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/│\s*\[\d+m/);
    }
  });

  it('table: wraps to the terminal width', () => {
    const text = REPORTERS.table(report(), { ...plain, columns: 100 });
    const tableLines = text.split('\n').filter((line) => /^[│┌├└]/.test(line));
    expect(Math.max(...tableLines.map((line) => [...line].length))).toBeLessThanOrEqual(100);
  });

  it.each(FORMATS)('%s: no name can reach the terminal as a control or bidi character', (format) => {
    const text = REPORTERS[format](report(), plain);
    for (const ch of text) {
      const code = ch.codePointAt(0)!;
      const control =
        code < 0x20 ||
        (code >= 0x7f && code <= 0x9f) ||
        (code >= 0x202a && code <= 0x202e) ||
        (code >= 0x2066 && code <= 0x2069);
      if (control) expect(ch).toBe('\n');
    }
  });

  it('json: is valid JSON with the documented top-level shape and round-trips hostile names', () => {
    const doc = JSON.parse(REPORTERS.json(report(), plain));
    expect(Object.keys(doc)).toEqual([
      'schemaVersion',
      'tool',
      'root',
      'source',
      'policy',
      'startedAt',
      'durationMs',
      'summary',
      'findings',
      'notEvaluated',
      'suppressions',
    ]);
    expect(doc.findings.map((f: { path: string }) => f.path)).toContain('up/invoice_\u202Efdp.exe');
    expect(doc.findings[0]).toMatchObject({
      severity: 'critical',
      message: expect.any(String),
      fingerprint: expect.any(String),
    });
  });

  it('jsonl: one object per line, findings then not-evaluated then one summary', () => {
    const lines = REPORTERS.jsonl(report(), plain)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const types = lines.map((l) => l.type);
    expect(types).toEqual([...Array(6).fill('finding'), 'not-evaluated', 'not-evaluated', 'summary']);
    expect(lines.at(-1).summary).toMatchObject({ findings: 5, suppressed: 1, notEvaluated: 2, failed: true });
    // One summary shape: the json format's, field for field.
    const json = JSON.parse(REPORTERS.json(report(), plain));
    expect(lines.at(-1).summary).toEqual(json.summary);
    for (const key of ['schemaVersion', 'tool', 'root', 'source', 'policy', 'startedAt', 'suppressions'])
      expect(lines.at(-1)[key], key).toEqual(json[key]);
  });
});

describe('text, the terminal layout', () => {
  it('fits 80 columns without breaking a name, groups by file, and marks new findings', () => {
    const r = report();
    const lines = REPORTERS.text(r, { ...plain, columns: 80 }).split('\n');
    // Only a line that is a path (never broken) or holds one word longer than the width may be wider.
    for (const line of lines)
      if (line.length > 80) expect(line.startsWith(' ') && line.trim().includes(' ')).toBe(false);
    const places = lines.filter((l) => l !== '' && !l.startsWith(' ') && !/^[A-Z(]/.test(l));
    expect(new Set(places).size).toBe(places.length); // each file once
    r.findings.forEach((f, i) => {
      f.fingerprint = `fp${i}`;
    });
    const fresh = r.findings[0]!;
    r.comparison = {
      baseline: { root: r.root, startedAt: r.startedAt, policyDigest: r.policy.digest },
      before: { total: 0, bySeverity: {}, byCategory: {} } as never,
      after: { total: 0, bySeverity: {}, byCategory: {} } as never,
      new: [fresh],
      fixed: [],
      moved: [],
      unchanged: r.findings.length - 1,
    };
    const marked = REPORTERS.text(r, { ...plain, columns: 200 })
      .split('\n')
      .filter((l) => / new( {2}|$)/.test(l));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toContain(fresh.ruleId);
  });
});

describe('json and jsonl in pieces', () => {
  /** The one-string definitions the pieces replaced: they must agree to the byte. */
  const wholeJson = (r: Report): string => {
    const doc = { ...r, findings: r.findings.map(jsonFinding) } as Record<string, unknown>;
    if (r.rootAbsolute === undefined) delete doc.rootAbsolute;
    if (r.comparison === undefined) delete doc.comparison;
    else doc.comparison = jsonComparison(r.comparison);
    if (r.shard === undefined) delete doc.shard;
    return `${jsonAsciiSafe(JSON.stringify(doc, null, 2))}\n`;
  };
  const wholeJsonl = (r: Report): string =>
    [
      ...r.findings.map((f) => ({ type: 'finding', ...jsonFinding(f) })),
      ...r.notEvaluated.map((n) => ({ type: 'not-evaluated', ...n })),
    ]
      .map((line) => `${jsonAsciiSafe(JSON.stringify(line))}\n`)
      .join('');
  /** The sample's findings repeated to `count`, each with its own hostile name. */
  const sized = (count: number): Report => {
    const r = report();
    const seeds = r.findings;
    r.findings = Array.from({ length: count }, (_, i) => ({
      ...seeds[i % seeds.length]!,
      path: `up/${i}/\u202e\u0000"\\\ud800 ${'é'.repeat(i % 3)}`,
    }));
    return r;
  };

  const N = FINDINGS_PER_PIECE;
  it.each([0, 1, N - 1, N, N + 1, 2.5 * N])('%i findings: the pieces join to the whole document', (count) => {
    const r = sized(count);
    const pieces = [...jsonPieces(r)];
    expect(pieces.join('')).toBe(wholeJson(r));
    // The findings come a block of N at a time, never all in one piece.
    expect(pieces.filter((piece) => piece.includes('"fingerprint"')).length).toBe(Math.ceil(count / N));
    const lines = [...jsonlPieces(r)].join('');
    expect(lines.slice(0, lines.lastIndexOf('{"type":"summary"'))).toBe(wholeJsonl(r));
    expect(JSON.parse(pieces.join('')).findings).toHaveLength(count);
  });

  it('written piece by piece, a file holds the same bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ua-pieces-'));
    try {
      const r = sized(2500);
      writeFileAtomic(join(dir, 'r.json'), jsonPieces(r));
      expect(readFileSync(join(dir, 'r.json'), 'utf8')).toBe(wholeJson(r));
      expect(() => writeFileAtomic(join(dir, 'missing', 'r.json'), jsonPieces(r))).toThrow(
        /cannot write '.*missing\/r\.json': its folder does not exist/,
      );
      expect(readdirSync(dir)).toEqual(['r.json']);
      function* broken(): Generator<string> {
        yield 'a';
        throw new TypeError('a reporter bug');
      }
      expect(() => writeFileAtomic(join(dir, 'b.json'), broken())).toThrow(TypeError);
      expect(readdirSync(dir)).toEqual(['r.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('where a finding is', () => {
  it('is written the same way by every text reporter, log line included', async () => {
    const { comparisonLines } = await import('./comparison.js');
    const { compareFindings } = await import('../baseline/compare.js');
    const r = report();
    const logged = {
      ...r.findings[0]!,
      path: 'shell.php',
      location: { file: 'uploads.jsonl', line: 7 },
      fingerprint: 'log-1',
    };
    const c = compareFindings({ ...r, findings: [] }, [logged]);
    expect(comparisonLines(c, chalkFor(0)).join('\n')).toContain('uploads.jsonl:7: shell.php');
    const withLog = { ...r, findings: [logged] };
    for (const format of ['table', 'markdown', 'junit', 'html'] as const) {
      expect(REPORTERS[format](withLog, plain), format).toMatch(/uploads\.jsonl:7: shell(\\\.|\.)php/);
    }
  });
});
