/**
 * What a run counted, by entry kind; summed across threads and shards. A module of its own so
 * that log audits and merges count without loading the directory scanner.
 */
export interface Counters {
  entries: number;
  files: number;
  directories: number;
  symlinks: number;
  other: number;
  excluded: number;
  evaluated: number;
  bytes: number;
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
});

export function addCounters(into: Counters, from: Counters): void {
  for (const key of Object.keys(into) as (keyof Counters)[]) into[key] += from[key];
}
