import { decodeRepeatedly, MAX_NAME_BYTES } from '../inspect/names.js';
import type { InspectedFile } from '../model/types.js';
import type { PredicateMeta, Rule } from './define.js';
import { ALL_KINDS, predicateRule } from './define.js';

/**
 * The final component, computed once per record by analyzeName: a client filename from a log
 * may carry a path (`C:\\fakepath\\a.jpg`) and percent-encoding, and was analyzed decoded.
 */
const base = (f: InspectedFile): string => f.nameInfo.base;

type NameMeta = PredicateMeta & {
  /** What in the name is wrong, as evidence; undefined when nothing is. */
  test: (file: InspectedFile) => Record<string, string | number> | undefined;
};

function nameRule({ test, ...meta }: NameMeta): Rule {
  return predicateRule({ category: 'unsafe-filename', kinds: ALL_KINDS, messageId: 'name' }, meta, test);
}

/**
 * The name as a server that percent-decodes it stores and shows it: an access log records names
 * as they travel in URLs (`invoice%E2%80%AEfdp.exe`), and a lenient server decodes one on disk.
 * `note` says so in the evidence.
 */
function asStored(f: InspectedFile): { name: string; note: string } {
  const decoded = f.name.includes('%') ? decodeRepeatedly(f.name).decoded : f.name;
  return decoded === f.name ? { name: f.name, note: '' } : { name: decoded, note: ', once percent-decoded' };
}

const codes = (chars: string[]): string =>
  [...new Set(chars)]
    .map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)
    .join(' ');

const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/gu;
/** Device names Windows reserves in every folder, with or without an extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$) *(?:\.|$)/i;

export const bidiRule = nameRule({
  id: 'unsafe-filename/bidi',
  skipsPlainNames: true,
  defaultSeverity: 'high',
  description: 'A bidirectional control character in a name (right-to-left override, isolates, marks).',
  rationale:
    'invoice_\u202efdp.exe is displayed as invoice_exe.pdf: a right-to-left override makes an executable look like a document to everyone who sees the name.',
  fix: 'Rename the file; make the handler strip or reject bidi controls in names.',
  message: 'the name holds bidi control characters ({chars}) that reorder how it is displayed',
  test: (f) => {
    const { name, note } = asStored(f);
    const found = name.match(BIDI);
    return found ? { chars: `${codes(found)}${note}` } : undefined;
  },
});

export const controlRule = nameRule({
  id: 'unsafe-filename/control',
  skipsPlainNames: true,
  defaultSeverity: 'high',
  description: 'A control character in a name: newline, tab, escape (ESC), NUL-like and C1 controls.',
  rationale:
    'A newline splits log lines and breaks every script that reads file lists line by line; ESC sequences repaint the terminal of whoever lists the folder.',
  fix: 'Rename the file; make the handler reject control characters in names.',
  message: 'the name holds control characters ({chars})',
  test: (f) => {
    const { name, note } = asStored(f);
    const found = name.match(CONTROL);
    return found ? { chars: `${codes(found)}${note}` } : undefined;
  },
});

export const reservedRule = nameRule({
  id: 'unsafe-filename/reserved',
  defaultSeverity: 'medium',
  description:
    'A Windows reserved device name (CON, PRN, AUX, NUL, COM0–9, LPT0–9, CONIN$, CONOUT$, CLOCK$), with or without an extension.',
  rationale:
    'On Windows, nul.txt or CON is a device, not a file: copying, backing up or serving the folder there fails or hangs.',
  fix: 'Rename the file; make the handler generate stored names.',
  message: '{base} is a reserved device name on Windows',
  // The part before the first dot, trailing spaces ignored: `nul.txt`, `CON .jpg`, `com1`.
  test: (f) => {
    const device = RESERVED.exec(base(f))?.[1];
    return device === undefined ? undefined : { base: device };
  },
});

export const tooLongRule = nameRule({
  id: 'unsafe-filename/too-long',
  skipsPlainNames: true,
  defaultSeverity: 'medium',
  description: `A name longer than ${MAX_NAME_BYTES} bytes.`,
  rationale:
    'Over-long names cannot be copied to most filesystems and truncate unpredictably, which can cut an extension off or onto a name.',
  fix: 'Rename the file; make the handler limit name length.',
  message: 'the name is {bytes} bytes long (most filesystems allow {limit})',
  test: (f) => {
    const bytes = Buffer.byteLength(base(f));
    return bytes > MAX_NAME_BYTES ? { bytes, limit: MAX_NAME_BYTES } : undefined;
  },
});

export const leadingDashRule = nameRule({
  id: 'unsafe-filename/leading-dash',
  skipsPlainNames: true,
  defaultSeverity: 'low',
  description: 'A name that starts with a dash.',
  rationale:
    'Shell tools read -rf or --checkpoint-action=exec=sh as options: a file name becomes an argument injection in every careless cron script.',
  fix: 'Rename the file; make the handler reject names starting with a dash.',
  message: 'the name starts with a dash and reads as an option to command-line tools',
  test: (f) => (base(f).startsWith('-') ? {} : undefined),
});

export const hiddenRule = nameRule({
  id: 'unsafe-filename/hidden',
  skipsPlainNames: true,
  defaultSeverity: 'low',
  description: 'A hidden dotfile or dot-folder.',
  rationale:
    'Uploads have no reason to be hidden; dotfiles escape casual listings and many backup and sync exclusions.',
  fix: 'Review and remove the file; make the handler reject names starting with a dot.',
  message: 'the name starts with a dot, so listings hide it',
  test: (f) => (base(f).startsWith('.') ? {} : undefined),
});

export const whitespaceRule = nameRule({
  id: 'unsafe-filename/whitespace',
  skipsPlainNames: true,
  defaultSeverity: 'low',
  description: 'Leading or trailing whitespace in a name.',
  rationale:
    '"report.pdf " and "report.pdf" look the same: trailing spaces hide extensions on Windows and confuse people comparing names.',
  fix: 'Rename the file; make the handler trim names.',
  message: 'the name has {where} whitespace',
  test: (f) => {
    const lead = /^\s/u.test(base(f));
    const trail = /\s$/u.test(base(f));
    return lead || trail
      ? { where: lead && trail ? 'leading and trailing' : lead ? 'leading' : 'trailing' }
      : undefined;
  },
});

export const invalidUtf8Rule = nameRule({
  id: 'unsafe-filename/invalid-utf8',
  skipsPlainNames: true,
  defaultSeverity: 'medium',
  description: 'A name whose bytes are not valid UTF-8.',
  rationale:
    'Tools disagree on how to show or convert such names; some mangle them, some skip the file, so it escapes audits and backups.',
  fix: 'Rename the file to valid UTF-8; make the handler validate name encoding.',
  message: 'the name is not valid UTF-8 (shown with \\xNN for the invalid bytes)',
  test: (f) => (f.invalidUtf8Name ? {} : undefined),
});

/**
 * Payloads that target whatever later handles the name rather than the file: markup for the
 * pages that list uploads, shell syntax for the scripts that process them, SQL for the tables
 * that record them. Each pattern needs a character no ordinary name holds in that place (a `<`
 * before a letter, `$(`, a backquote, a quote before a keyword): `O'Brien.jpg`, `a & b.jpg` and
 * `photo (1).jpg` stay quiet.
 */
const INJECTIONS: [string, RegExp][] = [
  ['markup', /<[a-z!/]|\bon[a-z]{3,}\s*=|javascript:/i],
  // Commands as payloads write them, lower-case, between separators: `; sleep 10;`, `| nc …|`.
  [
    'shell',
    /\$\(|\$\{|`|[;&|]\s*(?:sleep|id|whoami|uname|cat|curl|wget|nc|ncat|bash|sh|rm|ping|nslookup|touch|echo)(?:\s+[^;|&]*)?[;|&]/,
  ],
  [
    'sql',
    /'\s*(?:or|and|union|select|\(|--|;|\+)|\b(?:sleep|benchmark|pg_sleep)\s*\(\s*\d|\bwaitfor\s+delay\b|\bunion\s+(?:all\s+)?select\b/i,
  ],
];

export const injectionRule = nameRule({
  id: 'unsafe-filename/injection',
  skipsPlainNames: true,
  defaultSeverity: 'high',
  description:
    "A name that carries an injection payload: markup (`\"><img src=x onerror=…>.png`), shell syntax (`$(id).jpg`, `; sleep 10;`), or SQL (`x'(select*from(select(sleep(20)))a)+'.png`).",
  rationale:
    'The name is shown in admin pages (stored cross-site scripting), passed to shell scripts (command injection) and written to databases (SQL injection): every place the upload handler trusted the client’s name.',
  fix: 'Quarantine or rename the file; make the handler generate stored names and escape the client’s name wherever it is shown.',
  message: 'the name carries {kind} syntax: {sample}',
  test: (f) => {
    const { name } = asStored(f);
    for (const [kind, pattern] of INJECTIONS) {
      const match = pattern.exec(name);
      if (match) return { kind, sample: name.slice(Math.max(0, match.index - 10), match.index + 40) };
    }
    return undefined;
  },
});
