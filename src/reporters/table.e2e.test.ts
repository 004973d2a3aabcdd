import Table from 'cli-table3';
import { describe, expect, it } from 'vitest';
import { chalkFor } from '../cli/output.js';
import fc from '../test-support/fast-check.js';
import { REPORTERS } from './index.js';
import { largest } from './shared.js';
import { tableBlocks } from './table.js';

/** The blocks joined, as the table report writes them. */
const drawTable = (...args: Parameters<typeof tableBlocks>): string => [...tableBlocks(...args)].join('\n');

/** The definition: one cli-table3 table of every row, as the table reporter drew it before blocks. */
function oneTable(head: string[], rows: string[][], colWidths: readonly number[] | undefined): string {
  const grid = new Table({
    head,
    style: { head: [], border: [] },
    ...(colWidths && { colWidths: [...colWidths], wordWrap: true }),
  });
  grid.push(...rows);
  return grid.toString();
}

const color = chalkFor(1);
const word = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '.', '/', '-', '_'), maxLength: 12 }),
  fc.constantFrom('日本語', 'ファイル.jpg', '🙂', 'e\u0301', '', 'shell.php.jpg', 'x'.repeat(30)),
);
const text = fc.array(word, { maxLength: 6 }).map((words) => words.join(' '));
const cell = fc.oneof(
  text,
  text.map((t) => color.red.bold(t)),
);
const rowsOf = (columns: number) =>
  fc.array(fc.array(cell, { minLength: columns, maxLength: columns }), { minLength: 1, maxLength: 12 });

describe('table drawn in blocks of rows', () => {
  const head = ['Severity', 'Rule', 'Path', 'Details'].map((h) => color.bold(h));

  it('is the one table a single draw gives, with widths from the cells or the terminal', () => {
    fc.assert(
      fc.property(
        rowsOf(4),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(undefined, [12, 20, 24, 30], [6, 6, 8, 10]),
        (rows, perBlock, widths) => {
          expect(drawTable(head, rows, widths, perBlock)).toBe(oneTable(head, rows, widths));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('draws a report of 1,000 findings as the one table', () => {
    const findingRows = Array.from({ length: 1000 }, (_, i) => [
      color.red.bold('high'),
      'dangerous-extension/server-script',
      `uploads/${'deep/'.repeat(i % 7)}shell${i}.php`,
      `the name ends in .php, which servers run as code (${i})`,
    ]);
    expect(drawTable(head, findingRows, undefined)).toBe(oneTable(head, findingRows, undefined));
    expect(drawTable(head, findingRows, [12, 36, 30, 40])).toBe(
      oneTable(head, findingRows, [12, 36, 30, 40]),
    );
  });
});

describe('long lists', () => {
  it('a before/after of 200,000 new findings is listed, not a stack overflow', async () => {
    const { compareFindings } = await import('../baseline/compare.js');
    const { sampleReport } = await import('../test-support/sample-report.js');
    const r = sampleReport();
    const many = Array.from({ length: 200_000 }, (_, i) => ({
      ...r.findings[0]!,
      path: `u/${i}.php`,
      fingerprint: `f${i}`,
    }));
    const comparison = compareFindings({ ...r, findings: [] }, many);
    const text = REPORTERS.table({ ...r, findings: [], comparison }, { color: chalkFor(0) });
    expect(text).toContain('200000 new');
    expect(text).toContain('u/199999.php');
  });

  it('largest() takes any number of values', () => {
    expect(largest(new Array(1_000_000).fill(3), 1)).toBe(3);
    expect(largest([], 8)).toBe(8);
    expect(largest([2, 9, 4], 0)).toBe(9);
  });
});
