import { CATEGORIES, type Category } from '../model/types.js';
import {
  appendedArchiveRule,
  csvFormulaRule,
  eicarRule,
  entityExpansionRule,
  externalRefRule,
  htmlRule,
  imageScriptRule,
  incompleteRule,
  macroRule,
  officeDdeRule,
  officeExternalRule,
  pdfActionRule,
  pdfAttachmentRule,
  polyglotRule,
  rtfObjectRule,
  svgScriptRule,
  xsltRule,
  xxeRule,
} from './active-content.js';
import {
  bombRule,
  dangerousEntryRule,
  entryMismatchRule,
  linkEntryRule,
  nestedRule,
  tooDeepRule,
  unreadableRule,
  zipSlipRule,
} from './archive.js';
import {
  doubleExtensionRule,
  executableRule,
  nameTrickRule,
  serverConfigRule,
  serverScriptRule,
} from './dangerous-extension.js';
import type { Rule } from './define.js';
import {
  imageTypeRule,
  markupRule,
  executableRule as mimeExecutableRule,
  playlistRule,
  unrecognizedRule,
  wrongTypeRule,
} from './mime-mismatch.js';
import notAllowed from './not-allowed.js';
import {
  absoluteNameRule,
  backslashRule,
  dotDotRule,
  storedOutsideRule,
  symlinkEscapeRule,
} from './path-traversal.js';
import {
  executableBitRule,
  hardLinkRule,
  publicReadRule,
  publicWriteRule,
  setuidRule,
  specialFileRule,
  worldWritableRule,
} from './permissions.js';
import sizeEmpty from './size-empty.js';
import sizeOverLimit from './size-over-limit.js';
import pixelBombRule from './size-pixel-bomb.js';
import {
  bidiRule,
  controlRule,
  hiddenRule,
  injectionRule,
  invalidUtf8Rule,
  leadingDashRule,
  reservedRule,
  tooLongRule,
  whitespaceRule,
} from './unsafe-filename.js';
import {
  declaredMarkupRule,
  declaredTypeRule,
  pageUploadRule,
  rejectedButStoredRule,
  scriptRunRule,
  threeWayRule,
} from './upload-log.js';

/** Every rule, in the order they are documented. */
export const RULES: readonly Rule[] = [
  sizeOverLimit,
  sizeEmpty,
  mimeExecutableRule,
  markupRule,
  playlistRule,
  wrongTypeRule,
  unrecognizedRule,
  imageTypeRule,
  threeWayRule,
  declaredTypeRule,
  serverScriptRule,
  executableRule,
  doubleExtensionRule,
  nameTrickRule,
  serverConfigRule,
  notAllowed,
  rejectedButStoredRule,
  scriptRunRule,
  dotDotRule,
  absoluteNameRule,
  backslashRule,
  symlinkEscapeRule,
  storedOutsideRule,
  polyglotRule,
  htmlRule,
  svgScriptRule,
  xxeRule,
  pdfActionRule,
  macroRule,
  externalRefRule,
  pdfAttachmentRule,
  declaredMarkupRule,
  csvFormulaRule,
  xsltRule,
  incompleteRule,
  zipSlipRule,
  linkEntryRule,
  bombRule,
  dangerousEntryRule,
  entryMismatchRule,
  tooDeepRule,
  nestedRule,
  unreadableRule,
  bidiRule,
  controlRule,
  reservedRule,
  tooLongRule,
  invalidUtf8Rule,
  leadingDashRule,
  whitespaceRule,
  hiddenRule,
  setuidRule,
  worldWritableRule,
  specialFileRule,
  executableBitRule,
  hardLinkRule,
  pixelBombRule,
  officeExternalRule,
  imageScriptRule,
  pageUploadRule,
  injectionRule,
  publicReadRule,
  publicWriteRule,
  officeDdeRule,
  appendedArchiveRule,
  entityExpansionRule,
  rtfObjectRule,
  eicarRule,
];

const BY_ID = new Map(RULES.map((rule) => [rule.id, rule]));

export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id);
}

/** What each category is about, for help texts and reports. */
export const CATEGORY_INFO = {
  size: 'Files over the size limit for their type class, or empty.',
  'mime-mismatch': 'Content whose signature disagrees with its extension.',
  'dangerous-extension':
    'Server-side scripts, executables, double extensions, name tricks and server config files.',
  'path-traversal': 'Names that climb out of their folder once decoded, and symlinks that leave the root.',
  'active-content': 'Content that runs in a browser or on a server whatever its extension.',
  archive: 'Archives whose entries escape, bomb, link or hide dangerous content.',
  'unsafe-filename':
    'Names with control or bidi characters, reserved names, and other names that break tools.',
  permissions:
    'Executable, world-writable, setuid/setgid and special files, hard links, and bucket objects anyone may read or write.',
} satisfies Record<Category, string>;

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}
