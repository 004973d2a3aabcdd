/**
 * Reading a file the user named (a policy, a report): only a regular file, and only up to a
 * bound. A FIFO or /dev/zero given as a policy used to hang or eat memory without end; a folder
 * or device is refused at once, a file past the bound before a byte is parsed.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { errnoCode, InputError } from './errors.js';
import { escapeUnsafe } from './escape.js';

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** A file that could not be read as input; `reason` says why without the file's name. */
export class InputFileError extends InputError {
  constructor(
    what: string,
    file: string,
    readonly reason: string,
  ) {
    super(`cannot read ${what} '${escapeUnsafe(file)}': ${reason}`);
  }
}

/**
 * The text of `file`, named `what` in errors ("policy", "report"), refusing anything but a regular
 * file of at most `maxBytes`. Opened without blocking, so a FIFO is refused instead of waited on.
 */
export function readInputFile(file: string, what: string, maxBytes: number): string {
  const fail = (reason: string) => new InputFileError(what, file, reason);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    throw fail(code === 'ENOENT' ? 'no such file' : (code ?? String(error)));
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw fail(`${kindOf(stats)}, not a file`);
    if (stats.size > maxBytes) throw fail(`larger than the ${maxBytes} bytes a ${what} may have`);
    // Read to the end but never past the bound: the file may grow while it is read.
    const buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(stats.size + 1, 64 * 1024)));
    let filled = 0;
    for (let n = 1; n > 0 && filled < buffer.length; filled += n) {
      n = readSync(fd, buffer, filled, buffer.length - filled, null);
    }
    if (filled > maxBytes) throw fail(`larger than the ${maxBytes} bytes a ${what} may have`);
    return buffer.subarray(0, filled).toString('utf8');
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw fail(errnoCode(error) ?? String(error));
  } finally {
    closeSync(fd);
  }
}
