import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, readJournal } from './journal.js';

const dir = mkdtempSync(join(tmpdir(), 'ua-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the remediation journal', () => {
  it('starts a record on a line of its own after a line torn by a crash (kill -9 mid-write)', () => {
    // A run whose last write was cut: a kill can stop a write at a page boundary of the file.
    const journal = join(dir, 'journal.jsonl');
    appendFileSync(journal, `${JSON.stringify({ op: 'begin', run: dir, root: '/srv/up', time: 't' })}\n`);
    appendFileSync(journal, '{"op":"intent","id":7,"action":"quaran');
    const resumed = new Journal(dir);
    resumed.append({ op: 'failed', id: 3, why: 'x' });
    resumed.append({ op: 'complete', time: 't2' });
    resumed.close();
    expect(readJournal(dir)).toEqual([
      { op: 'begin', run: dir, root: '/srv/up', time: 't' },
      { op: 'failed', id: 3, why: 'x' },
      { op: 'complete', time: 't2' },
    ]);
  });
});
