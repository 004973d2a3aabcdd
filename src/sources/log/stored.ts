/**
 * Where a log's stored files are looked up (`log --root`): a folder here, a bucket in
 * `sources/s3/stored.ts`. A record's stored path is judged against the root (outside it is
 * traversal), and what is stored there is read for its content type, as a scan would.
 */
import { lstatSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Limits } from '../../inspect/limits.js';
import { decodeRepeatedly, lastComponent } from '../../inspect/names.js';
import type { InspectedFile } from '../../model/types.js';
import { entryFacts, type InspectContext } from '../directory/entry.js';

export interface StoredFiles {
  /** Whether the script a request ran is still stored below the root; undefined when outside it. */
  scriptStored(script: string): Promise<'present' | 'absent' | undefined>;
  /**
   * Add what is stored at the record's path to its facts; a stored path outside the root is
   * marked `declared.storedOutside`. A problem (missing, not a regular file) in words.
   */
  addStoredFacts(file: InspectedFile, storedPath: string): Promise<string | undefined>;
}

/** The stored path of a record that lands outside its root: judged as traversal, not looked up. */
export function markOutside(file: InspectedFile, storedPath: string): undefined {
  file.declared ??= {};
  file.declared.storedOutside = storedPath;
  return undefined;
}

/** Add what was read of a stored file to the record: its size and the type its content shows. */
export function recordStored(file: InspectedFile, stored: InspectedFile): undefined {
  file.declared ??= {};
  file.declared.storedOnDisk = true;
  file.size = stored.size;
  if (stored.detected) file.detected = stored.detected;
  return undefined;
}

export function folderStore(rootReal: string, limits: Limits): StoredFiles {
  const ctx: InspectContext = { rootReal, limits };
  return {
    async scriptStored(script) {
      const full = resolve(rootReal, decodeRepeatedly(script).decoded);
      const rel = relative(rootReal, full);
      if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
      try {
        lstatSync(full);
        return 'present';
      } catch {
        return 'absent';
      }
    },
    async addStoredFacts(file, storedPath) {
      const full = isAbsolute(storedPath) ? storedPath : resolve(rootReal, storedPath);
      const rel = relative(rootReal, full);
      // Judged as traversal (path-traversal/stored-outside): the service wrote outside its folder.
      if (rel.startsWith('..') || isAbsolute(rel)) return markOutside(file, storedPath);
      try {
        if (!lstatSync(full).isFile()) return `stored path ${storedPath} is not a regular file`;
      } catch {
        return file.declared?.accepted === false ? undefined : `stored file ${storedPath} is missing`;
      }
      const outcome = entryFacts(
        { path: rel, name: rel, decodedName: lastComponent(rel), kind: 'file', fsPath: full },
        ctx,
      );
      // Loaded here, not at start-up: only audits with --root look at bytes (file-type, yauzl: ~40 ms).
      if (outcome.status === 'ok' && outcome.source) {
        const { inspectBytes } = await import('../../inspect/inspect.js');
        await inspectBytes(outcome.source, outcome.file, limits);
      }
      if (outcome.status !== 'ok') return `stored file ${storedPath}: ${outcome.detail}`;
      outcome.source?.close();
      return recordStored(file, outcome.file);
    },
  };
}
