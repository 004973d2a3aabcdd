/**
 * Every read of untrusted bytes has a named bound. Hitting one is recorded on the entry and
 * reported; it is never a crash and never a silent pass.
 */
export interface Limits {
  /** Bytes read from the head of each regular file for type detection and text sniffing. */
  maxSniffBytes: number;
  /** Bytes hashed (sha256) of a file that has a finding; a larger file gets no content hash. */
  maxHashBytes: number;
  /** Hops followed when resolving a symlink chain (without opening anything). */
  maxSymlinkHops: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxSniffBytes: 4096,
  maxHashBytes: 256 * 1024 * 1024,
  maxSymlinkHops: 40,
};
