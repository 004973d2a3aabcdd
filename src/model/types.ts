import type { Counters } from './counters.js';

/**
 * The four types that carry everything: Entry (what a source yields), InspectedFile (plain facts
 * about one entry), Finding (one policy violation) and Report (what every reporter reads).
 */

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CATEGORIES = [
  'size',
  'mime-mismatch',
  'dangerous-extension',
  'path-traversal',
  'active-content',
  'archive',
  'unsafe-filename',
  'permissions',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** `upload` is a record from an upload log: a name and what the client declared, no file. */
export type EntryKind =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'fifo'
  | 'socket'
  | 'block-device'
  | 'char-device'
  | 'upload'
  /** A request in an access log that ran a script inside an upload folder: evidence of use. */
  | 'request';

/** One thing a source found: a directory entry relative to the scanned root. */
export interface Entry {
  /** Relative to the root, `/`-separated, printable: invalid UTF-8 bytes appear as `\xNN`. */
  path: string;
  /** The raw relative path bytes, base64, only when the name is not valid UTF-8. */
  pathBase64?: string;
  /** What the filesystem calls it at listing time (dirent type). */
  kind: EntryKind;
  /** Set when the final component itself is not valid UTF-8. */
  invalidUtf8Name?: true;
}

/** Why an entry could not be evaluated. Never reported as clean. */
export const NOT_EVALUATED_REASONS = [
  'vanished',
  'unreadable',
  'special-file',
  'changed-type',
  'read-error',
  'unreadable-directory',
  'malformed-line',
  'line-too-long',
  'missing',
  'name-not-logged',
  /** The content (or some of it) is encrypted: the rules could not see it. */
  'encrypted',
] as const;
export type NotEvaluatedReason = (typeof NOT_EVALUATED_REASONS)[number];

export interface NotEvaluated {
  path: string;
  pathBase64?: string;
  /** Log sources: where the line is. */
  location?: { file: string; line: number };
  reason: NotEvaluatedReason;
  detail?: string;
  /**
   * How many entries this one stands for (absent: one). A log lists its first lines of each
   * reason one by one; the later ones are counted in one entry at the first of them.
   */
  count?: number;
}

export interface SymlinkFacts {
  /** What readlink returned, printable. */
  target: string;
  /** The absolute path the chain resolved to (lexically where it dangles), printable. */
  resolved: string;
  /** True when any hop of the chain leaves the scanned root. */
  leavesRoot: boolean;
  dangling: boolean;
  loop: boolean;
  hops: number;
}

/** Detected content type: from file-type (binary signatures) or our own text sniffing. */
export interface DetectedType {
  ext: string;
  mime: string;
  /** Where the verdict came from. */
  source: 'signature' | 'text';
}

/** Plain facts about one entry. Built by inspect, read by rules; no I/O after this point. */
export interface InspectedFile extends Entry {
  /** Final path component as decoded UTF-8 (invalid bytes become U+FFFD); display uses `path`. */
  name: string;
  size: number;
  /**
   * What the filesystem or store says of the item, where it has one: a record from an upload
   * log has none of these (it is a name and what the client declared), so none is made up.
   */
  mode?: number;
  nlink?: number;
  mtimeMs?: number;
  /** Extensions and tricks, as a careless server would read the name. */
  nameInfo: NameAnalysis;
  /** The head of the file (regular files only), at most limits.maxSniffBytes. */
  head?: Uint8Array;
  detected?: DetectedType;
  /** The pixel size an image's header declares (what decoding it would allocate). */
  dimensions?: { width: number; height: number };
  symlink?: SymlinkFacts;
  /** Content that runs in a browser or on a server, found within the read bounds. */
  active?: ActiveHit[];
  /** What an archive holds, listed without extracting anything. */
  archive?: ArchiveFacts;
  /** Read bounds this entry hit: what was not looked at. */
  incomplete?: LimitHit[];
  /**
   * What of the content is encrypted, so could not be looked at (an encrypted PDF, archive
   * entries, a password-protected Office file): the entry is not evaluated, never clean.
   */
  encrypted?: string;
  /** Upload records: what the client declared and what the service did. */
  declared?: {
    contentType?: string;
    size?: number;
    accepted?: boolean;
    storedOnDisk?: boolean;
    /** The stored path the log records resolves outside the upload root (with --root) or climbs with `..`. */
    storedOutside?: string;
  };
  /**
   * Access-log requests that ran a script inside an upload folder: the method, the status the
   * server answered, who asked and when, and (with --root) whether the script is still stored.
   */
  request?: {
    method: string;
    status: number;
    client?: string;
    time?: string;
    stored?: 'present' | 'absent';
    /** A shell command the request's query handed the file (`cmd=id`). */
    command?: string;
    /** The script (`page`) a query `parameter` made include the file (`page=../uploads/a.jpg`). */
    include?: { page: string; parameter: string };
  };
  /** Who besides its owner may read or write it, where its store reports that (a bucket). */
  publicAccess?: PublicAccess;
}

/** What grants everyone read or write of an object ('the bucket policy', 'its ACL' …). */
export interface PublicAccess {
  read?: string;
  write?: string;
}

export type ActiveKind =
  | 'html'
  | 'svg-script'
  | 'svg-handler'
  | 'svg-javascript-url'
  | 'svg-foreign-object'
  | 'svg-external-ref'
  | 'xxe'
  | 'server-code'
  | 'pdf-javascript'
  | 'pdf-launch'
  | 'pdf-embedded-file'
  | 'pdf-open-action'
  /** A PDF RichMedia annotation: Flash or scripted media played inside the document. */
  | 'pdf-rich-media'
  | 'macro'
  /** A spreadsheet cell that starts a formula which runs a command or fetches (CSV injection). */
  | 'csv-formula'
  /** An XSLT stylesheet: server-side transforms run what it calls (php:function, msxsl:script). */
  | 'xslt'
  /** An Office document that loads a template, OLE object or frame from outside when opened. */
  | 'office-external'
  /** The EICAR anti-virus test file: someone checked whether uploads are scanned for malware. */
  | 'eicar'
  /** An RTF document with an embedded OLE object of a class exploits use, or one that updates itself on opening. */
  | 'rtf-object'
  /** XML whose entities expand past 16 MiB when parsed (billion laughs, quadratic blowup). */
  | 'entity-expansion'
  /** An image or PDF that ends with a zip archive: it opens as both (GIFAR, PHAR polyglots). */
  | 'appended-archive'
  /** A Word DDE or DDEAUTO field, an Excel DDE link or DDE formula: a command run when the file opens. */
  | 'office-dde'
  /** An ImageMagick drawing (MVG) or scripting (MSL) file: converters run it, whatever its name. */
  | 'image-script';

/** The places in a file itself where a hit is found; any other `where` is an archive entry's path. */
export const FILE_PLACES: ReadonlySet<string> = new Set([
  'head',
  'tail',
  'body',
  'stream',
  'metadata',
  'image data',
  'XFA form',
]);

export interface ActiveHit {
  kind: ActiveKind;
  /** Where it was found: one of FILE_PLACES, or an archive entry's path. */
  where: string;
  /** A short excerpt, as found (reporters escape it). */
  sample: string;
}

export interface LimitHit {
  /** The bound's name, as in the policy's `bounds`. */
  limit: string;
  detail: string;
}

export interface ArchiveEntryFacts {
  /** Path inside the archive; nested archives join with `!` (`inner.zip!x.php`). */
  path: string;
  kind: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** What the archive says the entry inflates to (never trusted alone). */
  declaredSize: number;
  compressedSize?: number;
  /** What it really inflated to, where it was read. */
  actualSize?: number;
  linkTarget?: string;
  detected?: DetectedType;
  /** Nesting level: 1 for entries of the file itself. */
  depth: number;
  /**
   * Zip: the entry's path as its local header names it, where that differs from the central
   * directory's. Extractors that stream a zip (Java's ZipInputStream, streaming unzip libraries)
   * go by the local header; scanners by the central directory.
   */
  localPath?: string;
}

export interface ArchiveFacts {
  /**
   * `ole`: a legacy Office file (a Compound File), whose entries are the files it packages;
   * `pdf`: a PDF's embedded files, by name; `msg`, `mail`: an Outlook message's or a MIME
   * message's attachments, by name.
   */
  format: 'zip' | 'tar' | 'gzip' | 'xz' | 'cab' | 'rar' | 'ole' | 'onenote' | 'pdf' | 'msg' | 'mail';
  entries: ArchiveEntryFacts[];
  /** Sum of declared sizes. */
  declaredTotal: number;
  /** Entries whose data overlap in the file: the trick of non-recursive zip bombs. */
  overlapping: boolean;
  /** Set when the archive could not be read (truncated, malformed). */
  error?: string;
  /** Nested archives not opened because of maxArchiveDepth. */
  tooDeep: string[];
}

export type Evidence = Record<string, string | number | boolean>;

/** What a rule returns: everything about a finding except what the policy decides. */
export interface FindingDraft {
  /** Key into the rule's message templates; reporters turn it into words. */
  messageId: string;
  evidence: Evidence;
  innerPath?: string;
}

export interface Finding {
  /** What the entry is: file, directory, symlink, special file, or an upload record from a log. */
  kind?: EntryKind;
  ruleId: string;
  category: Category;
  severity: Severity;
  path: string;
  pathBase64?: string;
  innerPath?: string;
  messageId: string;
  evidence: Evidence;
  /** sha256 of the whole file, for findings on regular files read within the hash bound. */
  sha256?: string;
  fingerprint: string;
  /** Log sources: the log file and line the record came from, and who sent it. */
  location?: { file: string; line: number };
  client?: string;
  user?: string;
  /** Set when a policy suppression accepted this finding: kept, but it does not fail the run. */
  suppressed?: { by: string; reason: string; expires?: string };
  /**
   * How many occurrences this entry stands for (absent: one). A log lists the first occurrences
   * of one fingerprint one by one and counts the later ones on the last listed, so a log of
   * millions of identical lines holds a bounded number of findings.
   */
  count?: number;
}

/** A suppression as reports mention it (expired, or matched nothing). */
export interface SuppressionNote {
  by: string;
  rule: string;
  reason: string;
  expires?: string;
}

/** What a run counted (entries by kind, excluded, evaluated, bytes), then its verdicts. */
export interface Summary extends Counters {
  notEvaluated: number;
  notEvaluatedByReason: Partial<Record<NotEvaluatedReason, number>>;
  findings: number;
  /** Findings accepted by a suppression; not in `findings`, `bySeverity` or `byCategory`. */
  suppressed: number;
  bySeverity: Record<Severity, number>;
  byCategory: Record<Category, number>;
  failOn: Severity | 'none';
  /** True when the exit status says the policy failed. */
  failed: boolean;
}

export interface Report {
  schemaVersion: 1;
  tool: { name: 'upload-audit'; version: string };
  root: string;
  /** The absolute folder findings' paths are relative to (the scanned root; for logs, the cwd). */
  rootAbsolute?: string;
  source: 'directory' | 'log' | 'bucket';
  /** Where the policy came from and a digest of its effective content. */
  policy: { source: string; digest: string };
  startedAt: string;
  durationMs: number;
  summary: Summary;
  findings: Finding[];
  notEvaluated: NotEvaluated[];
  /** Suppressions that expired (and so suppress nothing) and active ones that matched nothing. */
  suppressions: { expired: SuppressionNote[]; unused: SuppressionNote[] };
  /** Before/after against a baseline or the previous run; --fail-on then judges new findings only. */
  comparison?: Comparison;
  /** Set when this report covers one hash partition of the tree (`scan --shard K/N`). */
  shard?: { index: number; count: number };
  /** Set when the report is shown with `--severity`: the least severity listed, and how many findings were left out. */
  view?: { severity: Severity; hidden: number };
  /** Set when the run kept a state file (`scan --state`): which mode ran, and what it skipped. */
  incremental?: IncrementalSummary;
}

/**
 * What an incremental rescan did. `incremental`: the previous state was used; `full`: it could
 * not be (`why`), so every file was read. Either way the findings are a full scan's.
 */
export interface IncrementalSummary {
  mode: 'incremental' | 'full';
  state: string;
  why?: string;
  /** Regular files whose verdict was taken from the state, unopened. */
  reused: number;
  /** Regular files read this run (new, changed, racy, or no usable state). */
  reread: number;
}

/** How a careless server could read a name differently from its literal form. */
export type NameTrick =
  | 'encoded'
  /** Raw overlong UTF-8 bytes in a name on disk (`C0 AE` for `.`), which lenient decoders accept. */
  | 'overlong-utf8'
  | 'nul-byte'
  | 'ntfs-stream'
  | 'semicolon'
  | 'trailing-dot-space';

/** Extensions and tricks of one name, as a careless server would read it. */
export interface NameAnalysis {
  /** The final component of the analyzed name: what name rules judge. */
  base: string;
  /** Every extension in the literal name, lower-cased, in order (`a.PHP.jpg` → php, jpg). */
  extensions: string[];
  /** The last literal extension, if any. */
  extension: string | undefined;
  /** The name as a lenient server would store or serve it, lower-cased. */
  effectiveName: string;
  effectiveExtension: string | undefined;
  /** The tricks that made the effective name differ from the literal one. */
  tricks: NameTrick[];
  /** The name as a decoder that accepts overlong UTF-8 reads it, where its raw bytes hold such forms. */
  overlong?: string;
}

export type Counts = {
  bySeverity: Record<Severity, number>;
  byCategory: Record<Category, number>;
  total: number;
};

/** Before/after: a run's findings matched with an earlier report's. */
export interface Comparison {
  /** What the current run was compared with. */
  baseline: { root: string; startedAt: string; policyDigest: string };
  before: Counts;
  after: Counts;
  new: Finding[];
  fixed: Finding[];
  moved: { from: Finding; to: Finding }[];
  unchanged: number;
  /**
   * What --fail-on judged: the new findings only (a baseline's "accept today's debt"), or every
   * finding (the default with --history). Absent in reports of earlier versions: new.
   */
  judged?: 'new' | 'all';
}

/**
 * The only way inspect reads an item's bytes: by position, a piece at a time, under the named
 * bounds. A local file is read through its open handle; a bucket's object by range requests.
 */
export interface ByteSource {
  /** The size the item had when it was opened. */
  readonly size: number;
  /** Up to `length` bytes from `position`, in a buffer of their own; fewer only at the end. */
  read(position: number, length: number): Promise<Buffer>;
  /**
   * Optional: up to `target.length` bytes from `position` into `target`, the filled part returned
   * (fewer only at the end). For readers that walk a large item a piece at a time into one buffer
   * of their own; a source that allocates per read anyway (a network response) leaves it out.
   */
  readInto?(target: Buffer, position: number): Promise<Buffer>;
  /**
   * Each read is a request to a store over the network (a bucket's object): readers then step
   * over bytes no reader takes keys from (the data of a PDF's large streams) instead of fetching
   * them. Local and in-memory sources read everything within the bounds.
   */
  readonly remote?: boolean;
  close(): void;
}

/**
 * One item as a source hands it to the Auditor: what the source knows of it (name, kind, what
 * the filesystem, store or log says) and, where it has content, its bytes, open for inspection.
 */
export interface SourceItem {
  facts: InspectedFile;
  bytes?: ByteSource;
  /** A content hash the source already knows (a log may record one): no bytes are read for it. */
  sha256?: string;
  /**
   * What identifies the content in fingerprints when reading it whole would cost too much (a
   * large object in a bucket: its ETag); used only when `sha256` is not given.
   */
  contentKey?: string;
}
