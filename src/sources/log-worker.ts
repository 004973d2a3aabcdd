import { parentPort, workerData } from 'node:worker_threads';
import { LogAuditor, type LogPart, type LogSettings } from '../log-run.js';

const { settings, part } = workerData as { settings: LogSettings; part: LogPart };
new LogAuditor(settings).audit(part).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (error: unknown) =>
    parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
);
