import type { ChalkInstance } from 'chalk';
import type { Report } from '../model/types.js';

export interface RenderContext {
  /** A chalk instance with the level already decided (level 0 for no color). */
  color: ChalkInstance;
  /** Terminal width when known; table columns wrap to fit it. */
  columns?: number;
  /** Table: list suppressed findings too (they are always in the JSON formats). */
  showSuppressed?: boolean;
  /** HTML: the runs kept in the history, oldest first, for a trend of counts. */
  trend?: TrendPoint[];
}

/** One kept run, for a trend: when it started and what it counted. */
export interface TrendPoint {
  startedAt: string;
  findings: number;
  bySeverity: Record<string, number>;
}

/** A reporter turns a finished report into text. Pure: same report, same text. */
export type Reporter = (report: Report, context: RenderContext) => string;

/** A reporter for reports too large to hold as one string: pieces written as they are made. */
export type PieceReporter = (report: Report, context: RenderContext) => Iterable<string>;
