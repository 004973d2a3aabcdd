import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { WorkerGroup } from './threads.js';

const dir = mkdtempSync(join(tmpdir(), 'ua-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const from = pathToFileURL(join(dir, 'here.js')).href;

/** A worker module written for the test: `body` runs in the worker. */
function workerFile(name: string, body: string): string {
  writeFileSync(
    join(dir, name),
    `import { parentPort, workerData, threadId } from 'node:worker_threads';\n${body}\n`,
  );
  return `./${name}`;
}

/** Run a group until it fails or `enough` messages came; what it saw. */
function run(module: string, count: number, enough: number) {
  return new Promise<{ messages: Array<{ from: number; message: unknown }>; error?: Error }>((resolve) => {
    const messages: Array<{ from: number; message: unknown }> = [];
    const group = new WorkerGroup<unknown>({
      module,
      from,
      count,
      workerData: { hello: 'worker' },
      what: 'test worker',
      onMessage: (message, worker) => {
        messages.push({ from: worker.threadId, message });
        if (messages.length === enough) {
          group.stop();
          resolve({ messages });
        }
      },
      onFailure: (error) => resolve({ messages, error }),
    });
  });
}

describe('WorkerGroup', () => {
  it('runs the module in as many threads as asked, each with the data', async () => {
    const module = workerFile(
      'echo.mjs',
      'parentPort.postMessage({ data: workerData.hello, threadId }); setInterval(() => {}, 1000);',
    );
    const { messages, error } = await run(module, 3, 3);
    expect(error).toBeUndefined();
    expect(messages.map((m) => m.message)).toEqual(
      Array(3).fill(expect.objectContaining({ data: 'worker' })),
    );
    const threads = new Set(messages.map((m) => m.from));
    expect(threads.size).toBe(3);
    expect(threads.has(0)).toBe(false); // threadId 0 is the main thread
  });

  it('fails the run when a worker exits before it is released or stopped', async () => {
    const module = workerFile('quits.mjs', 'process.exit(3);');
    const { error } = await run(module, 2, 99);
    expect(error?.message).toBe('test worker stopped (exit code 3) before the work was done');
  });

  it('fails the run when a worker throws', async () => {
    const module = workerFile('throws.mjs', "throw new Error('boom');");
    const { error } = await run(module, 1, 99);
    expect(error?.message).toBe('boom');
  });

  it('refuses to start when the worker module is missing, never runs with fewer threads', async () => {
    await expect(run('./absent.mjs', 2, 1)).rejects.toThrow(InputError);
    await expect(run('./absent.mjs', 2, 1)).rejects.toThrow(
      /worker threads cannot start: .*absent\.mjs is missing/,
    );
  });
});
