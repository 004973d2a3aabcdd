import { summarize } from '../audit/report.js';
import { emptyCounters } from '../model/counters.js';
import type { Finding, NotEvaluated, Report } from '../model/types.js';

const finding = (
  over: Partial<Finding> & Pick<Finding, 'path' | 'ruleId' | 'messageId' | 'evidence'>,
): Finding => ({
  category: over.ruleId.split('/')[0] as Finding['category'],
  severity: 'high',
  fingerprint: '0123456789abcdef0123456789abcdef',
  ...over,
});

/** A fixed report with hostile names in every place a name can go, for reporter goldens. */
export function sampleReport(): Report {
  const findings: Finding[] = [
    finding({
      path: 'users/bob/passwd.txt',
      ruleId: 'path-traversal/symlink-escape',
      severity: 'critical',
      messageId: 'escapes',
      evidence: { target: '/etc/passwd', resolved: '/etc/passwd', dangling: false },
    }),
    finding({
      path: 'up/invoice_\u202Efdp.exe',
      ruleId: 'dangerous-extension/executable',
      messageId: 'executable',
      evidence: { extension: '.exe' },
      sha256: 'a'.repeat(64),
    }),
    finding({
      path: 'up/\x1b[31mred\x1b[0m|`x`<script>.php',
      ruleId: 'dangerous-extension/server-script',
      severity: 'critical',
      messageId: 'serverScript',
      evidence: { extension: '.php' },
    }),
    finding({
      path: 'up/bad\\xff\nline.jpg',
      pathBase64: Buffer.from([
        0x75, 0x70, 0x2f, 0x62, 0x61, 0x64, 0xff, 0x0a, 0x6c, 0x69, 0x6e, 0x65, 0x2e, 0x6a, 0x70, 0x67,
      ]).toString('base64'),
      ruleId: 'mime-mismatch/unrecognized',
      severity: 'medium',
      messageId: 'unrecognized',
      evidence: { extension: '.jpg' },
    }),
    finding({
      path: 'tmp/big.part',
      ruleId: 'size/over-limit',
      severity: 'medium',
      messageId: 'overLimit',
      evidence: { size: 6 * 1024 * 1024, limit: 5 * 1024 * 1024, limitFor: 'other files' },
    }),
    finding({
      path: 'legacy/thumb.png',
      ruleId: 'mime-mismatch/image-type',
      severity: 'low',
      messageId: 'otherImage',
      evidence: { extension: '.png', detectedType: 'image/jpeg', detectedExtension: 'jpg' },
      suppressed: {
        by: 'suppressions[0]',
        reason: 'legacy thumbnails, re-encoded in Q3',
        expires: '2026-12-31',
      },
    }),
  ];
  const notEvaluated: NotEvaluated[] = [
    { path: 'up/pipe', reason: 'special-file', detail: 'fifo: never opened' },
    { path: 'up/locked.jpg', reason: 'unreadable', detail: 'EACCES' },
  ];
  const counters = {
    ...emptyCounters(),
    entries: 12,
    files: 9,
    directories: 2,
    symlinks: 1,
    evaluated: 10,
    bytes: 6_400_000,
    // up/locked.jpg (80,000 bytes) is present but could not be read.
    filesEvaluated: 8,
    bytesEvaluated: 6_320_000,
  };
  return {
    schemaVersion: 1,
    tool: { name: 'upload-audit', version: '0.0.0-test' },
    root: 'uploads',
    source: 'directory',
    policy: { source: 'upload-audit.yaml', digest: 'sha256:0000' },
    startedAt: '2026-01-02T03:04:05.000Z',
    durationMs: 1234,
    summary: summarize({ counters, findings, notEvaluated, failOn: 'high', allowUnevaluated: false }),
    findings,
    notEvaluated,
    suppressions: {
      expired: [
        { by: 'suppressions[1]', rule: 'size', reason: 'until the \x1b[31mmigration', expires: '2025-01-01' },
      ],
      unused: [{ by: 'suppressions[2]', rule: 'dangerous-extension/executable', reason: 'installer builds' }],
    },
  };
}
