import { parentPort, workerData } from 'node:worker_threads';
import { LogAuditor } from './auditor.js';
import { auditClaimed, type LogWorkerData, type LogWorkerMessage } from './parts.js';

const { settings, parts, next } = workerData as LogWorkerData;
const send = (message: LogWorkerMessage): void => parentPort!.postMessage(message);
auditClaimed(new LogAuditor(settings, { keepsFindings: false }), parts, next, (part, result) =>
  send({ part, result }),
).then(
  () => send({ done: true }),
  (error: unknown) => send({ error: error instanceof Error ? error.message : String(error) }),
);
