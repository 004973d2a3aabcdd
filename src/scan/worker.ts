import { parentPort, workerData } from 'node:worker_threads';
import type { DirectoryJob } from '../sources/directory.js';
import { DirectoryScanner, type ScanSettings } from './directory-job.js';
import { reviveJob } from './scheduler.js';

const scanner = new DirectoryScanner(workerData as ScanSettings);
const port = parentPort!;

port.on('message', (job: DirectoryJob) => {
  scanner.scan(reviveJob(job)).then(
    (result) => port.postMessage({ ok: true, result }),
    (error: unknown) =>
      port.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
