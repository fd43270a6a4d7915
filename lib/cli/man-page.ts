/**
 * @module
 * The man page (roff, `man 7 man` macros) of a program: NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
 * COMMANDS with each command's usage, arguments and options, and SEE ALSO. No date in the
 * header, so the same program always gives the same page.
 */
import { commandWords, type ArgumentSpec, type CommandSpec, type OptionSpec, type ProgramSpec } from './program-spec'

/** Text safe in roff: backslashes and hyphens escaped, no line starting with a control character. */
export const roffText = (text: string): string =>
  text.replaceAll('\\', '\\e').replaceAll('-', '\\-').replace(/^[.']/gm, '\\&$&')

const optionEntry = (option: OptionSpec): string[] => [
  '.TP',
  `.B ${roffText(option.flags)}`,
  roffText(option.description),
]

const argumentEntry = (argument: ArgumentSpec): string[] => [
  '.TP',
  `.I ${roffText(argument.name)}`,
  roffText(
    argument.choices.length > 0
      ? `${argument.description} (one of: ${argument.choices.join(', ')})`
      : argument.description,
  ),
]

/** A command's entry, then one per subcommand (`zot sync warm`) but the implicit `help`. */
function commandEntry(prefix: string, command: CommandSpec): string[] {
  const aliases = command.aliases.length > 0 ? [`Alias: ${command.aliases.join(', ')}.`] : []
  const details = [...command.arguments.flatMap(argumentEntry), ...command.options.flatMap(optionEntry)]
  const name = `${prefix} ${command.name}`
  return [
    '.TP',
    `.B ${roffText(name)} ${roffText(command.usage)}`,
    roffText([command.description, ...aliases].join('. ')),
    ...(details.length > 0 ? ['.RS', ...details, '.RE'] : []),
    ...command.subcommands
      .filter((subcommand) => subcommand.name !== 'help')
      .flatMap((subcommand) => commandEntry(name, subcommand)),
  ]
}

/** `zot man`: the page for `man -l -` or man1/zot.1. */
export function manPage(program: ProgramSpec, version: string): string {
  const title = program.name.toUpperCase()
  const synopsis = program.commands.flatMap((command) => {
    const leaves = command.subcommands.filter((subcommand) => subcommand.name !== 'help')
    const lines =
      leaves.length > 0
        ? leaves.map((leaf) => `${command.name} ${leaf.name} ${leaf.usage}`)
        : [`${commandWords(command).join('|')} ${command.usage}`]
    return lines.flatMap((line) => [`.B ${roffText(program.name)}`, roffText(line), '.br'])
  })
  return [
    `.TH ${title} 1 "" "${roffText(`${program.name} ${version}`)}" "User Commands"`,
    '.SH NAME',
    `${roffText(program.name)} \\- ${roffText(program.description)}`,
    '.SH SYNOPSIS',
    ...synopsis,
    '.SH DESCRIPTION',
    roffText(program.description),
    '.SH OPTIONS',
    ...program.options.flatMap(optionEntry),
    '.SH COMMANDS',
    ...program.commands.flatMap((command) => commandEntry(program.name, command)),
    '.SH SEE ALSO',
    `${roffText(`${program.name} completion bash|zsh|fish`)} prints the shell completion scripts.`,
    '',
  ].join('\n')
}
