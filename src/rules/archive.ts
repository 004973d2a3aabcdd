import { contentKindOf } from '../inspect/filetypes.js';
import { BOMB_MIN_BYTES, BOMB_RATIO } from '../inspect/limits.js';
import { analyzeName, innermostPath, lastComponent, traversalForms } from '../inspect/names.js';
import type { ArchiveEntryFacts, Evidence, FindingDraft, InspectedFile } from '../model/types.js';
import {
  doubleExtensionRule,
  executableRule,
  nameTrickRule,
  serverConfigRule,
  serverScriptRule,
} from './dangerous-extension.js';
import type { Rule } from './define.js';
import { defineRule, draft } from './define.js';
import { mimeMismatch } from './mime.js';

/** More findings than this for one rule in one archive are summarized in the last one. */
const MAX_ENTRY_FINDINGS = 25;
/** A declared total beyond this is a declared-size bomb, whatever the ratio. */
const DECLARED_BOMB_BYTES = 4 * 1024 ** 3;

/** An entry's own name: the last component of its path in the innermost archive. */
const baseName = (path: string): string => lastComponent(innermostPath(path).replace(/\/+$/, ''));

/** An archive entry seen as a file record, so the name and content rules can judge it. */
function entryRecord(file: InspectedFile, entry: ArchiveEntryFacts): InspectedFile {
  const name = baseName(entry.path);
  const record: InspectedFile = {
    path: file.path,
    kind: 'file',
    name,
    size: entry.actualSize ?? entry.declaredSize,
    mode: 0o100644,
    nlink: 1,
    mtimeMs: 0,
    nameInfo: analyzeName(name),
  };
  if (entry.detected) record.detected = entry.detected;
  return record;
}

/** One finding per entry that `test` flags, at most MAX_ENTRY_FINDINGS, the last counting the rest. */
function perEntry(
  file: InspectedFile,
  messageId: string,
  test: (entry: ArchiveEntryFacts) => Evidence | undefined,
): FindingDraft[] {
  const out: FindingDraft[] = [];
  let more = 0;
  for (const entry of file.archive?.entries ?? []) {
    const evidence = test(entry);
    if (!evidence) continue;
    if (out.length < MAX_ENTRY_FINDINGS) out.push({ messageId, evidence, innerPath: entry.path });
    else more++;
  }
  if (more > 0) out.at(-1)!.evidence.moreEntries = more;
  return out;
}

type ArchiveMeta = Omit<Rule, 'category' | 'kinds'>;
const archiveRule = (meta: ArchiveMeta): Rule =>
  defineRule({ ...meta, category: 'archive', kinds: ['file'], needs: 'archive' });

export const zipSlipRule = archiveRule({
  id: 'archive/zip-slip',
  defaultSeverity: 'critical',
  description:
    'An archive entry whose path climbs out of the extraction folder: ../, an absolute path, a drive letter, or backslashes.',
  rationale:
    'Extracting it writes outside the target folder (zip slip): over code, cron jobs or SSH keys, on any unpacker that trusts entry names.',
  fix: 'Quarantine the archive; extract uploads only with a library that rejects such entries.',
  messages: {
    slip: 'the entry path {entry} escapes the extraction folder ({forms})',
    localSlip:
      'the entry path {entry} escapes the extraction folder ({forms}) as its local header names it; the central directory says {central}',
  },
  check: (file) => [
    ...perEntry(file, 'slip', (entry) => slipOf(entry.path)),
    // A streaming extractor writes where the local header says; a scanner reads the central one.
    ...perEntry(file, 'localSlip', (entry) => {
      const slip = entry.localPath === undefined ? undefined : slipOf(entry.localPath);
      return slip && { ...slip, central: innermostPath(entry.path) };
    }),
  ],
});

/** How an entry path climbs out, if it does. */
function slipOf(path: string): Evidence | undefined {
  const own = innermostPath(path);
  const { forms } = traversalForms(own);
  return forms.length > 0 ? { entry: own, forms: forms.join(', ') } : undefined;
}

export const linkEntryRule = archiveRule({
  id: 'archive/link-entry',
  defaultSeverity: 'high',
  description: 'A symbolic or hard link stored in an archive.',
  rationale:
    'Extracting a link and then a file through it writes anywhere the link points; a link to /etc/passwd turns the next read of the folder into a read of that file.',
  fix: 'Quarantine the archive; extract uploads without links.',
  messages: { link: 'a {kind} entry pointing to {target}' },
  check: (file) =>
    perEntry(file, 'link', (entry) =>
      entry.kind === 'symlink' || entry.kind === 'hardlink'
        ? { kind: entry.kind, target: entry.linkTarget ?? '?' }
        : undefined,
    ),
});

export const bombRule = archiveRule({
  id: 'archive/bomb',
  defaultSeverity: 'high',
  description: `A decompression bomb: entries compressed more than ${BOMB_RATIO}:1, a declared total over 4 GiB, entries that inflate past their declared size, or overlapping entries.`,
  rationale:
    'A few kilobytes that inflate to terabytes exhaust the disk or memory of whatever unpacks, indexes or virus-scans uploads.',
  fix: 'Quarantine the archive; limit extraction by size and ratio.',
  messages: {
    ratio: 'the entry inflates {ratio}:1 ({declared|bytes} from {compressed|bytes})',
    declared: 'the entries declare {declared|bytes} in total',
    lies: 'the entry inflates past its declared size ({actual|bytes} read, {declared|bytes} declared)',
    overlap:
      'entries share compressed data (overlapping local headers), the trick of non-recursive zip bombs',
  },
  check(file) {
    const archive = file.archive;
    if (!archive) return undefined;
    const out: FindingDraft[] = [];
    if (archive.overlapping) out.push(draft('overlap'));
    if (archive.declaredTotal > DECLARED_BOMB_BYTES)
      out.push(draft('declared', { declared: archive.declaredTotal }));
    out.push(
      ...perEntry(file, 'ratio', (e) => {
        // A compressed stream (gzip, xz) is its one entry's compressed data.
        const oneStream = archive.format !== 'zip' && archive.format !== 'tar';
        const compressed = e.compressedSize ?? (oneStream ? file.size : undefined);
        const inflated = Math.max(e.declaredSize, e.actualSize ?? 0);
        if (compressed === undefined || inflated < BOMB_MIN_BYTES || inflated <= compressed * BOMB_RATIO)
          return undefined;
        return { ratio: Math.round(inflated / Math.max(compressed, 1)), declared: inflated, compressed };
      }),
      ...perEntry(file, 'lies', (e) =>
        archive.format === 'zip' && e.actualSize !== undefined && e.actualSize > e.declaredSize
          ? { actual: e.actualSize, declared: e.declaredSize }
          : undefined,
      ),
    );
    return out;
  },
});

const ENTRY_NAME_RULES = [
  serverScriptRule,
  executableRule,
  doubleExtensionRule,
  nameTrickRule,
  serverConfigRule,
];

export const dangerousEntryRule = archiveRule({
  id: 'archive/dangerous-entry',
  defaultSeverity: 'high',
  description:
    'An archive entry with a dangerous name: a server-side script, an executable, a double extension, a name trick or a server config file.',
  rationale:
    'Whatever unpacks the archive into a served folder deploys a web shell or an .htaccess; the outer .zip passed every extension filter.',
  fix: 'Quarantine the archive, or reject archives holding such entries.',
  messages: { entry: 'the entry {entry} has a dangerous name ({rule})' },
  check: (file, context) =>
    perEntry(file, 'entry', (entry) => {
      if (entry.kind !== 'file') return undefined;
      // The name a streaming extractor writes (the local header's) is judged too.
      for (const path of entry.localPath === undefined ? [entry.path] : [entry.path, entry.localPath]) {
        const record = entryRecord(file, { ...entry, path });
        const rule = ENTRY_NAME_RULES.find((r) => [r.check(record, context) ?? []].flat().length > 0);
        if (rule) return { entry: record.name, rule: rule.id };
      }
      return undefined;
    }),
});

export const entryMismatchRule = archiveRule({
  id: 'archive/entry-mismatch',
  defaultSeverity: 'high',
  description:
    'An archive entry whose content is executable, server-side code or markup behind a harmless extension.',
  rationale:
    'photos.zip holding cat.jpg that is really an ELF binary or PHP hides the payload one level deeper than the outer check looks.',
  fix: 'Quarantine the archive.',
  messages: { entry: 'the entry {entry} is {detectedType} behind {extension}' },
  check: (file) =>
    perEntry(file, 'entry', (entry) => {
      if (entry.kind !== 'file' || !entry.detected) return undefined;
      const record = entryRecord(file, entry);
      const result = mimeMismatch(record);
      if (!result || (result.verdict !== 'executable' && result.verdict !== 'markup')) return undefined;
      return { entry: record.name, ...result.evidence };
    }),
});

export const tooDeepRule = archiveRule({
  id: 'archive/too-deep',
  defaultSeverity: 'medium',
  description: 'Archives nested deeper than maxArchiveDepth: their contents were not inspected.',
  rationale:
    'Nesting is how payloads hide from scanners that open one level; past the bound we cannot see, so we say so.',
  fix: 'Inspect the archive by hand, or raise bounds.maxArchiveDepth.',
  messages: { deep: 'the nested archive was not opened (past maxArchiveDepth)' },
  check: (file) =>
    (file.archive?.tooDeep ?? [])
      .slice(0, MAX_ENTRY_FINDINGS)
      .map((path) => ({ messageId: 'deep', evidence: {}, innerPath: path })),
});

export const unreadableRule = archiveRule({
  id: 'archive/unreadable',
  defaultSeverity: 'medium',
  description:
    'An archive that could not be read to the end (truncated, malformed, or lying about its sizes), or a read bound that stopped the listing.',
  rationale:
    'What could not be listed was not checked. Malformed archives are also how unpackers are exploited and scanners evaded.',
  fix: 'Inspect the file by hand; quarantine it if it should be a valid archive.',
  messages: {
    error: 'the archive could not be read: {error}',
    limit: 'the archive was not fully inspected: {limit} ({detail})',
  },
  check(file) {
    if (!file.archive) return undefined;
    const out: FindingDraft[] = file.archive.error ? [draft('error', { error: file.archive.error })] : [];
    for (const hit of file.incomplete ?? []) {
      // Depth has archive/too-deep; the markup inside a gzip (.svgz), active-content/incomplete.
      if (hit.limit !== 'maxArchiveDepth' && hit.limit !== 'maxMarkupBytes')
        out.push(draft('limit', { limit: hit.limit, detail: hit.detail }));
    }
    return out;
  },
});

export const nestedRule = archiveRule({
  id: 'archive/nested',
  defaultSeverity: 'low',
  description: 'An archive that holds another archive (a zip in a zip, a tar.gz in a zip …).',
  rationale:
    'Scanners and upload filters that open one level never see what a nested archive holds; upload-audit opens them to maxArchiveDepth, and says they are there.',
  fix: 'Accept nested archives only where the use case needs them; unpack and check every level.',
  messages: { nested: 'the archive holds another archive: {entry} ({type})' },
  check: (file) =>
    perEntry(file, 'nested', (entry) =>
      entry.depth === 1 && entry.detected && contentKindOf(entry.detected.ext) === 'archive'
        ? { entry: innermostPath(entry.path), type: entry.detected.mime }
        : undefined,
    ),
});
