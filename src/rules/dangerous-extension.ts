import {
  CROSS_DOMAIN_POLICY_NAMES,
  EXECUTABLE_EXTENSIONS,
  SERVER_CONFIG_NAMES,
  SERVER_SCRIPT_EXTENSIONS,
} from '../inspect/filetypes.js';
import type { NameAnalysis } from '../model/types.js';
import { defineRule, draft } from './define.js';

const KINDS = ['file', 'symlink', 'upload'] as const;

const isDangerous = (ext: string | undefined): ext is string =>
  ext !== undefined && (SERVER_SCRIPT_EXTENSIONS.has(ext) || EXECUTABLE_EXTENSIONS.has(ext));

/** The name hides a dangerous extension behind a trick a lenient server undoes. */
function trickExtension(info: NameAnalysis): string | undefined {
  const effective = info.effectiveExtension;
  return info.tricks.length > 0 && effective !== info.extension && isDangerous(effective)
    ? effective
    : undefined;
}

export const serverScriptRule = defineRule({
  id: 'dangerous-extension/server-script',
  category: 'dangerous-extension',
  defaultSeverity: 'critical',
  description:
    'A server-side script extension (PHP and its variants, ASP/ASPX, JSP, CGI, Perl, Python, Ruby, shell, SSI).',
  rationale:
    'A script in a folder the web server serves is remote code execution: request its URL and the server runs it. This is the classic web shell.',
  fix: 'Quarantine the file now and look for others from the same upload; deny script execution in the upload folder.',
  kinds: KINDS,
  messages: { serverScript: 'the extension {extension} runs as code on a web server' },
  check(file) {
    const ext = file.nameInfo.extension;
    return ext && SERVER_SCRIPT_EXTENSIONS.has(ext)
      ? draft('serverScript', { extension: `.${ext}` })
      : undefined;
  },
});

export const executableRule = defineRule({
  id: 'dangerous-extension/executable',
  category: 'dangerous-extension',
  defaultSeverity: 'high',
  description:
    'An executable, installer or client-side script extension (EXE, DLL, SCR, BAT, PS1, VBS, HTA, JAR, MSI, APK …), a file that launches something when opened (LNK, URL, IQY, XLL, CHM …), or a disk image Windows mounts on a double-click (ISO, IMG, VHD, VHDX).',
  rationale:
    'Executables served from your domain are malware distribution under your name, and one double-click away from running on a colleague’s machine.',
  fix: 'Quarantine the file unless executables are a legitimate upload type for this folder (then allow them in the policy).',
  kinds: KINDS,
  messages: { executable: 'the extension {extension} is an executable type' },
  check(file) {
    const ext = file.nameInfo.extension;
    return ext && EXECUTABLE_EXTENSIONS.has(ext) ? draft('executable', { extension: `.${ext}` }) : undefined;
  },
});

/**
 * Script extensions that, before the last one, are far more often a word than a handler: a
 * company's Inc. (`Acme.Inc.Invoice.pdf`), a time of day (`Call.5.30.pm.mp3`). No server runs
 * a file by them (.inc is included by other PHP, .pm loaded by Perl), and PHP or Perl inside
 * such a file is still reported by its content.
 */
const WORDS_NOT_HANDLERS = new Set(['inc', 'pm']);

export const doubleExtensionRule = defineRule({
  id: 'dangerous-extension/double-extension',
  category: 'dangerous-extension',
  defaultSeverity: 'high',
  description: 'A server-side script extension before the last one (shell.php.jpg).',
  rationale:
    'Apache with AddHandler (and other servers that match any extension) runs shell.php.jpg as PHP; filters that look only at the last extension let it through.',
  fix: 'Quarantine the file; make the handler generate stored names instead of keeping client names.',
  kinds: KINDS,
  messages: { hidden: 'the name hides {hidden} before its last extension .{extension}' },
  check(file) {
    const { extensions, extension } = file.nameInfo;
    if (isDangerous(extension) || trickExtension(file.nameInfo)) return undefined;
    const hidden = extensions
      .slice(0, -1)
      .find((ext) => SERVER_SCRIPT_EXTENSIONS.has(ext) && !WORDS_NOT_HANDLERS.has(ext));
    return hidden ? draft('hidden', { hidden: `.${hidden}`, extension: extension ?? '' }) : undefined;
  },
});

export const nameTrickRule = defineRule({
  id: 'dangerous-extension/name-trick',
  category: 'dangerous-extension',
  defaultSeverity: 'critical',
  description:
    'A dangerous extension hidden by a name trick: trailing dots or spaces, an NTFS stream (::$DATA), a NUL byte or %00, a semicolon, or percent-encoding.',
  rationale:
    'Windows drops trailing dots and spaces, IIS stops at a semicolon, C code stops at NUL, NTFS ignores ::$DATA: what the filter saw as .jpg is stored or served as .php.',
  fix: 'Quarantine the file; make the handler generate stored names instead of keeping client names.',
  kinds: KINDS,
  messages: { trick: 'a lenient server reads the extension as {effectiveExtension} ({tricks})' },
  check(file) {
    const effective = trickExtension(file.nameInfo);
    if (!effective) return undefined;
    return draft('trick', { effectiveExtension: `.${effective}`, tricks: file.nameInfo.tricks.join(', ') });
  },
});

export const serverConfigRule = defineRule({
  id: 'dangerous-extension/server-config',
  category: 'dangerous-extension',
  defaultSeverity: 'critical',
  description:
    'A web-server or application-server configuration file (.htaccess, web.config, .user.ini, uwsgi.ini, web.xml, …), or a cross-domain policy (crossdomain.xml).',
  rationale:
    'An uploaded .htaccess or web.config reconfigures the server for the whole folder: it can make .jpg files run as PHP or expose other files.',
  fix: 'Delete or quarantine the file; disable per-directory configuration (AllowOverride None) for the upload folder.',
  kinds: KINDS,
  messages: {
    config: '{name} reconfigures the web server for this folder',
    crossDomain: '{name} is a cross-domain policy: served from this site, it lets other sites read it',
  },
  check(file) {
    const name = file.nameInfo.effectiveName;
    if (SERVER_CONFIG_NAMES.has(name)) return draft('config', { name });
    return CROSS_DOMAIN_POLICY_NAMES.has(name) ? draft('crossDomain', { name }) : undefined;
  },
});
