/**
 * upload-audit as a library: the runs the CLI makes, the one per-item Auditor and the functions
 * that audit one item (a file below a root, or bytes in flight), the policy loader, the report
 * types.
 */
export { Auditor, Collector } from './audit/auditor.js';
export { auditBytes, type Declared } from './audit/one.js';
export { type RunOptions, runAudit, type Source } from './audit/run.js';
export type * from './model/types.js';
export { loadPolicyFile } from './policy/load.js';
export { defaultPolicySet, type PolicySet } from './policy/policy.js';
export { type CheckAnswer, CheckServer, type ServeOptions } from './serve/server.js';
export { auditPath } from './sources/directory/one.js';
export { DirectorySource, realRoot, runScan, type ScanOptions } from './sources/directory/run.js';
export { type LogOptions, LogSource, runLog } from './sources/log/run.js';
export { type BucketOptions, BucketSource, runBucket } from './sources/s3/run.js';
