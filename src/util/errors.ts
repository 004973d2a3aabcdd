/**
 * Errors that end a run with exit code 2 and one clear line on stderr. Anything else that escapes
 * is a bug, reported as an internal error (still exit 2, still one line unless UPLOAD_AUDIT_DEBUG).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Bad input the user gave us: a missing root, an unreadable policy, an invalid option value. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

export function isExpectedError(error: unknown): error is UsageError | InputError {
  return error instanceof UsageError || error instanceof InputError;
}

/** The `code` of a Node system error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

/** What a system error code means to the person who ran us, when writing to a path. */
const WRITE_REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
};

/** Why a write failed, in words where the code is a common one (the code itself otherwise). */
export function writeReason(error: unknown): string {
  const code = errnoCode(error);
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return WRITE_REASONS[code] ?? code;
}
