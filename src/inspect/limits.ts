/**
 * Every read of untrusted bytes has a named bound. Hitting one is recorded on the entry and
 * reported (an `…/incomplete` finding); it is never a crash and never a silent pass.
 */
export interface Limits {
  /** Bytes read from the head of each regular file for type detection and content scanning. */
  maxSniffBytes: number;
  /** Bytes read from the tail of each file, where appended payloads hide. */
  maxTailBytes: number;
  /** Bytes of an HTML, SVG or XML file scanned for scripts, handlers and entities. */
  maxMarkupBytes: number;
  /** Bytes of a PDF scanned for actions and embedded files. */
  maxPdfBytes: number;
  /** Bytes inflated per file: PDF streams and archive entries together. */
  maxInflateBytes: number;
  /** Archive entries listed per archive (nested ones included). */
  maxArchiveEntries: number;
  /** How deep archives inside archives are opened. */
  maxArchiveDepth: number;
  /** Largest nested archive held in memory to be opened. */
  maxNestedArchiveBytes: number;
  /** Bytes hashed (sha256) of a file that has a finding; a larger file gets no content hash. */
  maxHashBytes: number;
  /** Hops followed when resolving a symlink chain (without opening anything). */
  maxSymlinkHops: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_LIMITS: Limits = {
  maxSniffBytes: 4 * KiB,
  maxTailBytes: 4 * KiB,
  maxMarkupBytes: 256 * KiB,
  maxPdfBytes: 16 * MiB,
  maxInflateBytes: 64 * MiB,
  maxArchiveEntries: 10_000,
  maxArchiveDepth: 3,
  maxNestedArchiveBytes: 16 * MiB,
  maxHashBytes: 16 * MiB,
  maxSymlinkHops: 40,
};

/** Thresholds for judging archives (not read bounds): ratio and declared total that make a bomb. */
export const BOMB_RATIO = 100;
export const BOMB_MIN_BYTES = MiB;
