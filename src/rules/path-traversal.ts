import { type TraversalForm, traversalForms } from '../inspect/names.js';
import type { PredicateMeta, Rule } from './define.js';
import { ALL_KINDS, defineRule, draft, predicateRule } from './define.js';

/** A rule that fires when the decoded name has one of `forms`. */
function nameFormRule(forms: readonly TraversalForm[], meta: PredicateMeta): Rule {
  const family = { category: 'path-traversal', kinds: ALL_KINDS, messageId: 'form' } as const;
  return predicateRule(family, { ...meta, skipsPlainNames: true }, (file) => {
    // Raw overlong UTF-8 on disk (`\xc0\xae\xc0\xae\xc0\xaf`) is `../` to a lenient decoder.
    const found = traversalForms(file.nameInfo.overlong ?? file.name);
    const hit = found.forms.filter((f) => forms.includes(f));
    return hit.length > 0 ? { forms: hit.join(', '), decoded: found.decoded } : undefined;
  });
}

export const dotDotRule = nameFormRule(['dot-dot'], {
  id: 'path-traversal/dot-dot',
  defaultSeverity: 'high',
  description:
    'A name that climbs out of its folder once decoded: `..` segments with / or \\, percent- and double-percent-encoded, or overlong UTF-8 (%c0%af).',
  rationale:
    'Any code that later joins this name to a path (a thumbnailer, a backup, an unzip, a download handler) writes or reads outside the upload folder: overwriting code, reading secrets.',
  fix: 'Quarantine or rename the file; make the handler generate stored names and reject names with separators.',
  message: 'the name decodes to {decoded}, which climbs out of its folder',
});

export const absoluteNameRule = nameFormRule(['absolute', 'drive', 'unc'], {
  id: 'path-traversal/absolute-name',
  defaultSeverity: 'high',
  description:
    'A name that decodes to an absolute path, a drive letter (C:) or a UNC path (\\\\host\\share).',
  rationale:
    'Joining an absolute name to a folder discards the folder on most platforms: the file lands wherever the name says, or a UNC path makes a Windows host connect out and leak credentials.',
  fix: 'Quarantine or rename the file; make the handler generate stored names.',
  message: 'the name decodes to {decoded} ({forms})',
});

export const backslashRule = nameFormRule(['backslash'], {
  id: 'path-traversal/backslash',
  defaultSeverity: 'medium',
  description: 'A backslash in a name, which is a path separator on Windows.',
  rationale:
    'On Linux a\\b.txt is one name; copied to Windows, served by IIS or unpacked by a Windows tool it is a path, and the separator filters never saw.',
  fix: 'Rename the file; make the handler reject or replace backslashes in names.',
  message: 'the name holds a backslash, a path separator on Windows',
});

export const symlinkEscapeRule = defineRule({
  id: 'path-traversal/symlink-escape',
  category: 'path-traversal',
  defaultSeverity: 'critical',
  description: 'A symbolic link whose target (through the whole chain) lies outside the scanned root.',
  rationale:
    'A link to /etc/passwd or to another tenant’s folder turns every download, backup and archive of the upload folder into a read of that target.',
  fix: 'Remove the link (uploads should never create links) and find what created it.',
  kinds: ['symlink'],
  messages: { escapes: 'the link points to {target}, outside the scanned root (resolves to {resolved})' },
  check(file) {
    const link = file.symlink;
    if (!link?.leavesRoot) return undefined;
    return draft('escapes', { target: link.target, resolved: link.resolved, dangling: link.dangling });
  },
});

export const storedOutsideRule = defineRule({
  id: 'path-traversal/stored-outside',
  category: 'path-traversal',
  defaultSeverity: 'critical',
  description:
    'Upload logs: the path the service stored the upload at lies outside the upload root (with --root), or climbs out with `..`, whatever the client called the file; buckets: an object key that climbs out with `..` (a sync to disk writes it outside its folder).',
  rationale:
    'The name the client sent may look harmless while the path the service built from it (or from another field) escaped: the write already happened outside the folder uploads belong in.',
  fix: 'Find and remove the stored file; make the handler build stored paths from generated names and check that they stay inside the upload root.',
  kinds: ['upload', 'file'],
  messages: { outside: 'the upload was stored at {stored}, outside the upload folder' },
  check: (file) =>
    file.declared?.storedOutside === undefined
      ? undefined
      : draft('outside', { stored: file.declared.storedOutside }),
});
