import { parentPort, workerData } from 'node:worker_threads';
import type { DirectoryJob } from '../sources/directory.js';
import { DirectoryScanner } from './directory-job.js';
import type { FromWorker, ToWorker, WorkerData } from './protocol.js';
import { reviveJob } from './scheduler.js';

const data = workerData as WorkerData;
const scanner = new DirectoryScanner(data.settings);
const hungry = new Int32Array(data.hungry);
const port = parentPort!;
const send = (message: FromWorker): void => port.postMessage(message);

/** Depth first from a local stack; share the oldest (largest) half when a peer is hungry. */
async function drain(stack: DirectoryJob[]): Promise<void> {
  for (let job = stack.pop(); job; job = stack.pop()) {
    try {
      const result = await scanner.scan(job);
      for (const sub of result.subdirectories) stack.push(sub);
      result.subdirectories = [];
      send({ type: 'result', path: job.path, result });
    } catch (error) {
      send({ type: 'error', path: job.path, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    if (stack.length > 1 && Atomics.load(hungry, 0) > 0) {
      send({ type: 'share', jobs: stack.splice(0, Math.ceil(stack.length / 2)) });
    }
  }
  send({ type: 'idle' });
}

port.on('message', (message: ToWorker) => {
  void drain(message.jobs.map(reviveJob));
});
