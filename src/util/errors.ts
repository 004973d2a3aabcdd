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
