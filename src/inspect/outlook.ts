/**
 * Outlook messages (.msg): a Compound File whose attachment storages name their files in a
 * property stream, UTF-16: PR_ATTACH_LONG_FILENAME (0x3707), else the 8.3 name (0x3704). A
 * message mailed to a help desk and uploaded with a ticket brings its own attachments (the
 * invoice.pdf.exe a phishing mail carries): listed as archive entries, by name. Names and data
 * are not paired (that takes the directory's tree); the names are what the rules judge.
 */
import { ArchiveContext } from './archive/context.js';
import type { ArchiveResult } from './archive/index.js';
import type { CfbFile } from './cfb.js';
import type { Limits } from './limits.js';

/** The message's own property stream: a Compound File with one is an Outlook item. */
const MESSAGE_PROPERTIES = '__properties_version1.0';
const ATTACHMENT_STORAGE = /^__attach_version1\.0_#[0-9a-f]{8}$/i;
const LONG_NAME = '__substg1.0_3707001f';
const SHORT_NAME = '__substg1.0_3704001f';
/** A file name is at most 255 UTF-16 units (and its terminating NUL). */
const NAME_BYTES = 512;
const STREAM = 2;

/** The files an Outlook message attaches, as archive entries; undefined for anything else. */
export async function outlookAttachments(cfb: CfbFile, limits: Limits): Promise<ArchiveResult | undefined> {
  const names = (name: string) =>
    cfb.entries.filter((e) => e.type === STREAM && e.name.toLowerCase() === name);
  if (names(MESSAGE_PROPERTIES.toLowerCase()).length === 0) return undefined;
  if (!cfb.entries.some((e) => ATTACHMENT_STORAGE.test(e.name))) return undefined;
  const long = names(LONG_NAME);
  const attached: string[] = [];
  for (const stream of (long.length > 0 ? long : names(SHORT_NAME)).slice(0, limits.maxArchiveEntries)) {
    const name = (await cfb.streamStart(stream, NAME_BYTES))?.toString('utf16le').replace(/\0.*$/s, '');
    if (name) attached.push(name);
  }
  if (attached.length === 0) return undefined;
  const ctx = new ArchiveContext(limits);
  ctx.addNames(attached);
  return { facts: ctx.facts('msg'), ctx };
}
