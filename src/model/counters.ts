/**
 * What a run counted, by entry kind; summed across threads and shards. A module of its own so
 * that log audits and merges count without loading the directory scanner.
 */
export interface Counters {
  /** Entries listed, of every kind (excluded ones not counted). */
  entries: number;
  /** Regular files (a log: upload records; a bucket: objects) present. */
  files: number;
  directories: number;
  symlinks: number;
  other: number;
  excluded: number;
  /** Entries, of every kind, judged whole: neither not evaluated nor excluded. */
  evaluated: number;
  /** Bytes present: the regular files' sizes (a log: the lines read). */
  bytes: number;
  /** Of `files`, those judged whole: an encrypted or unreadable file is present, not evaluated. */
  filesEvaluated: number;
  /** Of `bytes`, the sizes of the files judged whole (a log: the lines of records judged). */
  bytesEvaluated: number;
}

export const emptyCounters = (): Counters => ({
  entries: 0,
  files: 0,
  directories: 0,
  symlinks: 0,
  other: 0,
  excluded: 0,
  evaluated: 0,
  bytes: 0,
  filesEvaluated: 0,
  bytesEvaluated: 0,
});

/** Add `from` into `into`; a count `from` lacks (a report written before it existed) adds nothing. */
export function addCounters(into: Counters, from: Partial<Counters>): void {
  for (const key of Object.keys(into) as (keyof Counters)[]) into[key] += from[key] ?? 0;
}
