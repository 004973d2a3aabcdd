import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadState,
  STATE_FORMAT,
  STATE_FORMAT_VERSION,
  type StateHeader,
  StateWriter,
} from './state-file.js';
import { EntryHash, VerdictTable } from './table.js';

const header: StateHeader = {
  format: STATE_FORMAT,
  formatVersion: STATE_FORMAT_VERSION,
  tool: 'test',
  policy: 'sha256:0',
  source: 'directory',
  root: '/uploads',
  shard: null,
  ignoreCtime: false,
  startedMs: 0,
};
const { startedMs: _, ...expected } = header;

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
function stateFile(): string {
  const folder = mkdtempSync(join(tmpdir(), 'ua-state-'));
  folders.push(folder);
  return join(folder, 'state');
}

/** Entry i's hash, and findings JSON for every seventh entry, long enough to cross chunks. */
function entries(count: number): Array<{ hi: number; lo: number; hex: string; json?: string }> {
  const hash = new EntryHash();
  return Array.from({ length: count }, (_, i) => {
    const { hi, lo, hex } = hash.of(`p:file-${i}`, [BigInt(i)]);
    const json =
      i % 7 === 0
        ? JSON.stringify([{ ruleId: 'x', path: `file-${i}`, pad: 'y'.repeat(i % 300) }])
        : undefined;
    return { hi, lo, hex, ...(json !== undefined && { json }) };
  });
}

function write(file: string, list: ReturnType<typeof entries>): void {
  const writer = new StateWriter(file, header);
  writer.add(
    list.map((e) => (e.json === undefined ? `${e.hex}\n` : `${e.hex} ${e.json}\n`)).join(''),
    list.length,
  );
  writer.commit();
}

describe('state file', () => {
  it('loads a state of several read chunks: every entry, with its findings as written', () => {
    const file = stateFile();
    const list = entries(80_000);
    write(file, list);
    expect(readFileSync(file).length).toBeGreaterThan(3 * 1024 * 1024);
    const loaded = loadState(file, expected);
    if (!loaded.usable) throw new Error(loaded.why);
    expect(loaded.entries).toBe(list.length);
    const table = new VerdictTable(loaded.table);
    for (const e of list) {
      const stored = table.get(e.hi, e.lo);
      expect(stored).toEqual(e.json === undefined ? { clean: true } : { clean: false, findingsJson: e.json });
    }
    expect(table.get(1, 2)).toBeUndefined();
  });

  it('is damaged by a line after its end line, and by an end line that does not end the file', () => {
    const file = stateFile();
    const list = entries(20);
    write(file, list);
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, `${good}${list[0]!.hex}\n`);
    expect(loadState(file, expected)).toMatchObject({ usable: false, why: /damaged/ });
    writeFileSync(file, good.replace(/\n$/, ''));
    expect(loadState(file, expected)).toMatchObject({ usable: true, entries: 20 });
  });
});
