/**
 * `upload-audit completion bash|zsh|fish`: a completion script made from the commands and
 * options the program really has, so it cannot fall behind them.
 */
import type { Command } from 'commander';
import { UsageError } from '../util/errors.js';
import { writeStdout } from './output.js';

interface CommandInfo {
  name: string;
  description: string;
  options: { long: string; takesValue: boolean; choices?: readonly string[] }[];
}

function describe(program: Command): CommandInfo[] {
  const walk = (command: Command, prefix: string): CommandInfo[] =>
    command.commands.flatMap((sub) => {
      const name = `${prefix}${sub.name()}`;
      const options = sub.options
        .filter((o) => o.long !== undefined)
        .map((o) => ({
          long: o.long!,
          takesValue: o.required || o.optional,
          ...(o.argChoices && { choices: o.argChoices }),
        }));
      return [{ name, description: sub.description(), options }, ...walk(sub, `${name} `)];
    });
  return walk(program, '');
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(commands: CommandInfo[]): string {
  const top = commands.filter((c) => !c.name.includes(' ')).map((c) => c.name);
  const cases = commands
    .filter((c) => !c.name.includes(' '))
    .map((c) => {
      const subs = commands.filter((s) => s.name.startsWith(`${c.name} `)).map((s) => s.name.split(' ')[1]);
      const words = [...subs, ...c.options.map((o) => o.long), '--help'].join(' ');
      const choices = c.options
        .filter((o) => o.choices)
        .map(
          (o) =>
            `        ${o.long}) COMPREPLY=($(compgen -W ${quote(o.choices!.join(' '))} -- "$cur")); return ;;`,
        )
        .join('\n');
      return `    ${c.name})\n      case "$prev" in\n${choices}\n      esac\n      if [[ "$cur" == -* || -n ${quote(subs.join(' '))} ]]; then COMPREPLY=($(compgen -W ${quote(words)} -- "$cur")); fi\n      [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))\n      ;;`;
    })
    .join('\n');
  return `# upload-audit completion for bash: source it, or put it in /etc/bash_completion.d/upload-audit
_upload_audit() {
  local cur prev
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W ${quote([...top, '--help', '--version'].join(' '))} -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
}
complete -o filenames -F _upload_audit upload-audit
`;
}

function fish(commands: CommandInfo[]): string {
  const lines = [
    '# upload-audit completion for fish: put it in ~/.config/fish/completions/upload-audit.fish',
  ];
  const top = commands.filter((c) => !c.name.includes(' '));
  lines.push(
    `complete -c upload-audit -f -n __fish_use_subcommand -a ${quote(top.map((c) => c.name).join(' '))}`,
  );
  for (const c of top) {
    lines.push(
      `complete -c upload-audit -n '__fish_use_subcommand' -a ${c.name} -d ${quote(c.description.slice(0, 60))}`,
    );
    for (const o of c.options) {
      const values = o.choices ? ` -x -a ${quote(o.choices.join(' '))}` : o.takesValue ? ' -r' : '';
      lines.push(
        `complete -c upload-audit -n '__fish_seen_subcommand_from ${c.name}' -l ${o.long.slice(2)}${values}`,
      );
    }
    for (const sub of commands.filter((s) => s.name.startsWith(`${c.name} `)))
      lines.push(
        `complete -c upload-audit -f -n '__fish_seen_subcommand_from ${c.name}' -a ${sub.name.split(' ')[1]}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

function zsh(commands: CommandInfo[]): string {
  // zsh runs the bash script through its bashcompinit layer: one script to keep right.
  return `#compdef upload-audit
# upload-audit completion for zsh: put it in a folder of $fpath as _upload-audit
autoload -U +X bashcompinit && bashcompinit
${bash(commands).replace(/^# .*\n/, '')}`;
}

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script: bash, zsh or fish.')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText(
      'after',
      '\nExample:\n  $ upload-audit completion bash > /etc/bash_completion.d/upload-audit',
    )
    .action(async (shell: string) => {
      const commands = describe(program);
      const script =
        shell === 'bash'
          ? bash(commands)
          : shell === 'zsh'
            ? zsh(commands)
            : shell === 'fish'
              ? fish(commands)
              : undefined;
      if (script === undefined) throw new UsageError(`completion '${shell}': expected bash, zsh or fish`);
      await writeStdout(script);
    });
}
