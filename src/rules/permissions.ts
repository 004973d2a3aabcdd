import { defineRule, draft } from './define.js';

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

export const executableBitRule = defineRule({
  id: 'permissions/executable',
  category: 'permissions',
  defaultSeverity: 'medium',
  description: 'An uploaded regular file with an executable bit set.',
  rationale:
    'Uploads are data. An executable bit lets a CGI handler, a misconfigured server or a local user run the file directly.',
  fix: 'chmod a-x the file (upload-audit fix can do it); make the handler create files 0644 or stricter.',
  kinds: ['file'],
  messages: { executable: 'the mode {mode} has executable bits' },
  needs: 'mode',
  check: (file) => (file.mode! & 0o111 ? draft('executable', { mode: octal(file.mode!) }) : undefined),
});

export const worldWritableRule = defineRule({
  id: 'permissions/world-writable',
  category: 'permissions',
  defaultSeverity: 'high',
  description: 'A world-writable file or folder.',
  rationale:
    'Any local account or compromised service can replace a world-writable upload with a payload, or drop new files into a world-writable folder.',
  fix: 'chmod o-w (upload-audit fix can do it); make the handler use a strict umask.',
  kinds: ['file', 'directory'],
  messages: { writable: 'the mode {mode} lets every user write to it' },
  needs: 'mode',
  check: (file) => (file.mode! & 0o002 ? draft('writable', { mode: octal(file.mode!) }) : undefined),
});

export const setuidRule = defineRule({
  id: 'permissions/setuid',
  category: 'permissions',
  defaultSeverity: 'critical',
  description: 'A file with the setuid or setgid bit.',
  rationale:
    'A setuid upload runs with its owner’s rights, whoever starts it: a local privilege escalation waiting in the upload folder.',
  fix: 'Remove the bits (chmod ug-s) and find out how they were set; uploads never need them.',
  kinds: ['file'],
  messages: { setuid: 'the mode {mode} has {bits}' },
  needs: 'mode',
  check(file) {
    const mode = file.mode!;
    const bits = [mode & 0o4000 ? 'setuid' : '', mode & 0o2000 ? 'setgid' : ''].filter(Boolean);
    return bits.length > 0 ? draft('setuid', { mode: octal(mode), bits: bits.join(' and ') }) : undefined;
  },
});

export const specialFileRule = defineRule({
  id: 'permissions/special-file',
  category: 'permissions',
  defaultSeverity: 'high',
  description: 'A FIFO, socket or device node inside the upload tree.',
  rationale:
    'No upload handler creates these. A FIFO hangs the next tool that reads it; a device node can expose disks or memory. Someone with shell access made it.',
  fix: 'Remove it and investigate who created it.',
  kinds: ['fifo', 'socket', 'block-device', 'char-device'],
  messages: { special: 'a {kind} has no place in an upload folder' },
  check: (file) => draft('special', { kind: file.kind }),
});

export const hardLinkRule = defineRule({
  id: 'permissions/hard-link',
  category: 'permissions',
  defaultSeverity: 'medium',
  description: 'A regular file with more than one hard link.',
  rationale:
    'A hard link shares its bytes with another path, perhaps outside the upload folder: deleting or quarantining one name leaves the content reachable, and writes through one change the other.',
  fix: 'Find the other links (find / -samefile FILE) and decide which name should exist.',
  kinds: ['file'],
  messages: { links: 'the file has {nlink} hard links' },
  needs: 'nlink',
  check: (file) => (file.nlink! > 1 ? draft('links', { nlink: file.nlink! }) : undefined),
});

export const publicReadRule = defineRule({
  id: 'permissions/public-read',
  category: 'permissions',
  defaultSeverity: 'medium',
  description: 'A stored upload anyone may read: a bucket policy or ACL grants it to everyone.',
  rationale:
    'Uploads often hold what their owners never meant to publish (IDs, invoices, medical scans); a public grant serves them to anyone who finds or guesses the key. Buckets that serve avatars on purpose should say so in the policy.',
  fix: 'Remove the public grant (bucket policy, bucket or object ACL) or turn on the public access block; serve what must be public through signed URLs or a CDN. If public read is intended, set this rule to "off" for that prefix.',
  kinds: ['file'],
  messages: { read: 'anyone may read it ({via})' },
  needs: 'publicAccess',
  check: (file) => (file.publicAccess?.read ? draft('read', { via: file.publicAccess.read }) : undefined),
});

export const publicWriteRule = defineRule({
  id: 'permissions/public-write',
  category: 'permissions',
  defaultSeverity: 'critical',
  description:
    'A stored upload anyone may overwrite, delete or re-permission: a bucket policy or ACL grants write to everyone.',
  rationale:
    'Anyone can replace a served file with a payload (a script the site then serves from its own origin), delete evidence, or make a private file public.',
  fix: 'Remove the public write grant (bucket policy, bucket ACL WRITE, object ACL FULL_CONTROL/WRITE_ACP) and turn on the public access block; then audit what was written.',
  kinds: ['file'],
  messages: { write: 'anyone may overwrite or re-permission it ({via})' },
  needs: 'publicAccess',
  check: (file) => (file.publicAccess?.write ? draft('write', { via: file.publicAccess.write }) : undefined),
});
