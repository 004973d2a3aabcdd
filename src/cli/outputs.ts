/** `--format NAME[=FILE]` (repeatable) and `--output FILE`: which reports a run writes, and where. */

import { FORMATS, type Format, isFormat } from '../reporters/index.js';
import { InputError, UsageError } from '../util/errors.js';

export interface OutputSpec {
  format: Format;
  /** undefined: stdout. */
  file?: string;
}

export function parseOutputs(formats: readonly string[], output: string | undefined): OutputSpec[] {
  const specs: OutputSpec[] = (formats.length === 0 ? ['text'] : formats).map((value) => {
    const eq = value.indexOf('=');
    const name = eq < 0 ? value : value.slice(0, eq);
    if (!isFormat(name))
      throw new InputError(`--format '${name}' is invalid; allowed: ${FORMATS.join(', ')}`);
    if (eq >= 0 && value.length === eq + 1)
      throw new InputError(`--format '${value}': a file name is missing after '='`);
    return eq < 0 ? { format: name } : { format: name, file: value.slice(eq + 1) };
  });
  const toStdout = specs.filter((s) => s.file === undefined);
  if (toStdout.length > 1)
    throw new UsageError(
      'only one --format can go to stdout; give the others a file: --format sarif=out.sarif',
    );
  if (output !== undefined) {
    if (toStdout.length === 0)
      throw new UsageError(
        '--output names the file of the --format without =FILE, and every --format has one',
      );
    toStdout[0]!.file = output;
  }
  return specs;
}
