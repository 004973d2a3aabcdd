/**
 * Report history for cron jobs: each run writes a timestamped JSON report into a folder, is
 * compared with the newest earlier one, and only the last N are kept.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../cli/output.js';
import type { Report } from '../model/types.js';
import { jsonPieces } from '../reporters/json.js';
import type { TrendPoint } from '../reporters/types.js';
import { errnoCode, InputError } from '../util/errors.js';

const PATTERN = /^upload-audit-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:-\d{3})?Z\.json$/;

/** `upload-audit-2026-11-24T03-40-00-123Z.json`: sorts by time as text. */
const historyName = (startedAt: string): string => `upload-audit-${startedAt.replace(/[:.]/g, '-')}.json`;

function reportsIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => PATTERN.test(name))
      .sort();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw new InputError(`cannot read history folder '${dir}': ${errnoCode(error) ?? String(error)}`);
  }
}

/** The newest report in the history folder, if any. */
export function latestInHistory(dir: string): string | undefined {
  const names = reportsIn(dir);
  return names.length > 0 ? join(dir, names.at(-1)!) : undefined;
}

/** The kept runs' counts, oldest first, for the HTML page's trend; a report that cannot be read is left out. */
export function historyTrend(dir: string): TrendPoint[] {
  const points: TrendPoint[] = [];
  for (const name of reportsIn(dir)) {
    try {
      const { startedAt, summary } = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Report;
      points.push({ startedAt, findings: summary.findings, bySeverity: summary.bySeverity });
    } catch {
      // Damaged or foreign: the trend is drawn from the others.
    }
  }
  return points;
}

/** Write the report as JSON into the folder and keep only the newest `keep`. Returns its path. */
export function recordHistory(dir: string, report: Report, keep: number): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
  } catch (error) {
    throw new InputError(`cannot create history folder '${dir}': ${errnoCode(error) ?? String(error)}`);
  }
  const path = join(dir, historyName(report.startedAt));
  writeFileAtomic(path, jsonPieces(report));
  const names = reportsIn(dir);
  for (const old of names.slice(0, Math.max(0, names.length - keep))) rmSync(join(dir, old), { force: true });
  return path;
}
