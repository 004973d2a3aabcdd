/**
 * Auditing one item on its own, with the same facts, rules, policy and suppressions as a full
 * run: what a watch mode calls for each file that lands, and what a check server calls for an
 * upload in flight. Both go through the one Auditor.
 */
import { analyzeName, lastComponent } from '../inspect/names.js';
import type { ByteSource, Finding, InspectedFile } from '../model/types.js';
import type { Auditor } from './auditor.js';

/** What a client said of bytes it sent: the file name and the Content-Type it declared. */
export interface Declared {
  name: string;
  contentType?: string;
}

/**
 * The findings for bytes that are not (yet) a file on disk, read through `source`. `path` is
 * where the upload would be stored (per-folder overrides apply there); the name judged is the
 * client's. The source is the caller's to close.
 */
export async function auditBytes(
  source: ByteSource,
  declared: Declared,
  auditor: Auditor,
  path = declared.name,
): Promise<{ facts: InspectedFile; findings: Finding[] }> {
  const name = lastComponent(declared.name);
  const facts: InspectedFile = { path, kind: 'file', name, size: source.size, nameInfo: analyzeName(name) };
  if (declared.contentType !== undefined) facts.declared = { contentType: declared.contentType };
  return { facts, findings: await auditor.audit({ facts, bytes: source }) };
}
