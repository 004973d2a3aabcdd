import { parentPort, workerData } from 'node:worker_threads';
import type { DirectoryJob } from './listing.js';
import type { FromWorker, ToWorker, WorkerData } from './protocol.js';
import { DirectoryScanner, ScanFailure, walkFolders } from './scanner.js';
import { reviveJob } from './scheduler.js';

const data = workerData as WorkerData;
const scanner = new DirectoryScanner(data.settings);
const hungry = new Int32Array(data.hungry);
const port = parentPort!;
const send = (message: FromWorker): void => port.postMessage(message);

/** Walk what the scheduler gave; say when the stack is empty, or which folder failed. */
async function drain(stack: DirectoryJob[]): Promise<void> {
  try {
    await walkFolders(scanner, stack, hungry, {
      result: (path, result) => send({ type: 'result', path, result }),
      share: (jobs) => send({ type: 'share', jobs }),
    });
  } catch (error) {
    const path = error instanceof ScanFailure ? error.path : '';
    send({ type: 'error', path, error: error instanceof Error ? error.message : String(error) });
    return;
  }
  send({ type: 'idle' });
}

port.on('message', (message: ToWorker) => {
  void drain(message.jobs.map(reviveJob));
});
