import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultPolicyYaml } from '../policy/document.js';
import { loadPolicyFile, POLICY_FILE_NAMES } from '../policy/load.js';
import { UsageError } from '../util/errors.js';
import { escapeUnsafe } from '../util/escape.js';
import { writeFileAtomic, writeStdout } from './output.js';

/** `policy show | init | check`. */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('Show, write or check a policy file.');

  policy
    .command('show')
    .description('Print the built-in default policy as a commented YAML file.')
    .action(async () => writeStdout(defaultPolicyYaml()));

  policy
    .command('init')
    .description('Write the default policy to FILE as a starting point.')
    .argument('[file]', 'where to write it', POLICY_FILE_NAMES[0])
    .option('--force', 'overwrite an existing file', false)
    .action((file: string, flags: { force: boolean }) => {
      if (existsSync(file) && !flags.force)
        throw new UsageError(`'${file}' exists; use --force to overwrite it`);
      writeFileAtomic(file, defaultPolicyYaml());
      process.stderr.write(`upload-audit: wrote ${escapeUnsafe(file)}\n`);
    });

  policy
    .command('check')
    .description('Validate a policy file: every problem with its line, column and key; exit 2 if any.')
    .argument('<file>', 'the policy file (YAML or JSON)')
    .action(async (file: string) => {
      const set = loadPolicyFile(file);
      await writeStdout(
        `${file}: valid (${set.overrides.length} overrides, ${set.suppressions.length} suppressions, ${set.digest})\n`,
      );
    });
}
