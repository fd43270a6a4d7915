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

function commandEntry(program: ProgramSpec, command: CommandSpec): string[] {
  const aliases = command.aliases.length > 0 ? [`Alias: ${command.aliases.join(', ')}.`] : []
  const details = [...command.arguments.flatMap(argumentEntry), ...command.options.flatMap(optionEntry)]
  return [
    '.TP',
    `.B ${roffText(`${program.name} ${command.name}`)} ${roffText(command.usage)}`,
    roffText([command.description, ...aliases].join('. ')),
    ...(details.length > 0 ? ['.RS', ...details, '.RE'] : []),
  ]
}

/** `zot man`: the page for `man -l -` or man1/zot.1. */
export function manPage(program: ProgramSpec, version: string): string {
  const title = program.name.toUpperCase()
  const synopsis = program.commands.flatMap((command) => [
    `.B ${roffText(program.name)}`,
    `${roffText(`${commandWords(command).join('|')} ${command.usage}`)}`,
    '.br',
  ])
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
    ...program.commands.flatMap((command) => commandEntry(program, command)),
    '.SH SEE ALSO',
    `${roffText(`${program.name} completion bash|zsh|fish`)} prints the shell completion scripts.`,
    '',
  ].join('\n')
}
