import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { reportsByThreads } from '../../test-support/cli.js';
import { tempTrees } from '../../test-support/tree.js';
import { DEFAULT_UPLOAD_PATH } from './combined.js';
import { PARALLEL_MIN_BYTES, splitLog } from './parts.js';
import { type LogOptions, runLog } from './run.js';

const tree = tempTrees();
const uploadPath = new RegExp(DEFAULT_UPLOAD_PATH, 'i');
const NOW = () => new Date('2026-01-01T00:00:00Z');

/** A JSON Lines log with every kind of line a part boundary could fall next to. */
function hostileLog(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const kind = i % 11;
    if (kind === 0)
      out.push(JSON.stringify({ original_filename: `shell${i}.php.jpg`, size: i, status: 'stored' }));
    else if (kind === 1) out.push('');
    else if (kind === 2) out.push('{"broken": ');
    else if (kind === 3) out.push(`{"filename":"${'x'.repeat(300)}.jpg"}`);
    else if (kind === 4) out.push(`${JSON.stringify({ filename: `../../etc/${i}.png` })}\r`);
    else if (kind === 5) out.push('   ');
    else out.push(JSON.stringify({ filename: `IMG_${i}.jpg`, size: 1000 + i, content_type: 'image/jpeg' }));
  }
  return `${out.join('\n')}\n${JSON.stringify({ filename: 'last.exe' })}`; // no newline at the end
}

const audit = (files: string[], over: Partial<LogOptions>) =>
  runLog({ files, fields: {}, uploadPath, failOn: 'high', allowUnevaluated: false, now: NOW, ...over });
const strip = (report: unknown) => JSON.stringify(report, (k, v) => (k === 'durationMs' ? 0 : v));

describe('logs read in parts', () => {
  it('cut at line starts, and give the report of a whole read, line numbers included', async () => {
    const dir = tree({ 'uploads.jsonl': hostileLog(3000) });
    const file = join(dir, 'uploads.jsonl');
    // maxLineBytes 200 makes the 300-byte names too long: skipped lines must keep their numbers.
    const whole = await audit([file], { maxLineBytes: 200 });
    expect(whole.summary.findings).toBeGreaterThan(500);
    expect(whole.notEvaluated.length).toBeGreaterThan(500);
    // With 60 lines listed per reason, parts list and count past the limit as the whole does.
    const few = await audit([file], { maxLineBytes: 200, listedPerReason: 60 });
    expect(few.notEvaluated.filter((n) => n.count !== undefined)).toHaveLength(2);
    expect(few.summary.notEvaluated).toBe(whole.summary.notEvaluated);
    for (const count of [2, 3, 7]) {
      const parts = splitLog({ file }, count, 200, 0)!;
      expect(parts).toHaveLength(count);
      expect(parts.map((p) => p.format)).toEqual([undefined, ...Array(count - 1).fill('jsonl')]);
      const inParts = await audit([file], { maxLineBytes: 200, concurrency: count, parallelMinBytes: 0 });
      expect(strip(inParts)).toBe(strip(whole));
      const fewInParts = await audit([file], {
        maxLineBytes: 200,
        listedPerReason: 60,
        concurrency: count,
        parallelMinBytes: 0,
      });
      expect(strip(fewInParts)).toBe(strip(few));
    }
  });

  it('leave stdin, gzip, small files and logs without a recognizable head to one reader', () => {
    const dir = tree({ 'small.jsonl': hostileLog(10), 'noise.log': 'garbage\n'.repeat(1000) });
    writeFileSync(join(dir, 'log.gz'), gzipSync(hostileLog(1000)));
    expect(splitLog({ file: '-' }, 2, 1000, 0)).toBeUndefined();
    expect(splitLog({ file: join(dir, 'log.gz') }, 2, 1000, 0)).toBeUndefined();
    expect(splitLog({ file: join(dir, 'small.jsonl') }, 2, 1000)).toBeUndefined();
    expect(splitLog({ file: join(dir, 'noise.log') }, 2, 1000, 0)).toBeUndefined();
    expect(splitLog({ file: join(dir, 'noise.log'), format: 'combined' }, 2, 1000, 0)).toHaveLength(2);
  });

  it('leave a W3C log to one reader: its #Fields line says how to read every line after it', () => {
    const line = '2024-10-10 13:55:38 GET /uploads/a.jpg - 198.51.100.7 200\n';
    const dir = tree({
      'iis.log': `#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip sc-status\n${line.repeat(2000)}`,
    });
    expect(splitLog({ file: join(dir, 'iis.log') }, 2, 1000, 0)).toBeUndefined();
  });

  it('in worker threads, give the same report as one thread (CLI, a log past the 4 MiB threshold)', () => {
    const dir = tree({ 'big.jsonl': hostileLog(80_000) });
    const file = join(dir, 'big.jsonl');
    expect(statSync(file).size).toBeGreaterThan(PARALLEL_MIN_BYTES);
    const reports = reportsByThreads(['log', file], dir);
    expect(JSON.parse(reports[0]!).summary.entries).toBe(80_001);
    expect(reports[1]).toBe(reports[0]);
    expect(reports[2]).toBe(reports[0]);
  });

  it('are audited by worker threads when threads are asked for (the work really leaves this thread)', async () => {
    const dir = tree({ 'big.jsonl': hostileLog(80_000) });
    const threadsUsed = new Set<number>();
    const options: LogOptions = {
      files: [join(dir, 'big.jsonl')],
      fields: {},
      uploadPath,
      failOn: 'high',
      allowUnevaluated: false,
      now: NOW,
    };
    const threaded = await runLog({ ...options, concurrency: 3, threadsUsed });
    expect([...threadsUsed].filter((t) => t !== 0).length).toBeGreaterThan(0);
    const single = await runLog({ ...options, concurrency: 1 });
    expect({ ...threaded, durationMs: 0 }).toEqual({ ...single, durationMs: 0 });
  });
});
