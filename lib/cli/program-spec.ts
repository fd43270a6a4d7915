/**
 * @module
 * A plain description of a commander program (commands, aliases, arguments, options), read
 * through commander's own Help so the completion scripts and the man page list exactly what
 * `--help` lists, the implicit `help` command and `-h, --help` included.
 */
import type { Argument, Command, Option } from 'commander'

export interface OptionSpec {
  /** `-v`, or undefined. */
  short?: string
  /** `--version`, or undefined. */
  long?: string
  /** As written in the definition: `-v, --version`. */
  flags: string
  description: string
  /** Whether a value follows (`--output <file>`). */
  takesValue: boolean
}

export interface ArgumentSpec {
  name: string
  required: boolean
  variadic: boolean
  description: string
  /** The only values accepted, when the definition restricts them; otherwise any (a file). */
  choices: readonly string[]
}

export interface CommandSpec {
  name: string
  aliases: readonly string[]
  description: string
  /** Commander's usage line without the program name: `[options] <config>`. */
  usage: string
  arguments: readonly ArgumentSpec[]
  options: readonly OptionSpec[]
  /** Commands under this one (`zot sync warm`), with the implicit `help`; none for most. */
  subcommands: readonly CommandSpec[]
}

export interface ProgramSpec {
  name: string
  description: string
  options: readonly OptionSpec[]
  commands: readonly CommandSpec[]
}

const optionSpec = (option: Option): OptionSpec => ({
  ...(option.short && { short: option.short }),
  ...(option.long && { long: option.long }),
  flags: option.flags,
  description: option.description,
  takesValue: option.required || option.optional,
})

const argumentSpec = (argument: Argument): ArgumentSpec => ({
  name: argument.name(),
  required: argument.required,
  variadic: argument.variadic,
  description: argument.description,
  choices: argument.argChoices ?? [],
})

function commandSpec(command: Command): CommandSpec {
  const help = command.createHelp()
  // A leaf's visible commands are none; a group's include commander's implicit `help`.
  const subcommands = command.commands.length > 0 ? help.visibleCommands(command).map(commandSpec) : []
  return {
    name: command.name(),
    aliases: command.aliases(),
    description: command.description(),
    usage: command.usage(),
    arguments: command.registeredArguments.map(argumentSpec),
    options: help.visibleOptions(command).map(optionSpec),
    subcommands,
  }
}

/** Describes the program's commands, and the commands under a command group (`sync warm`). */
export function describeProgram(program: Command): ProgramSpec {
  const help = program.createHelp()
  return {
    name: program.name(),
    description: program.description(),
    options: help.visibleOptions(program).map(optionSpec),
    commands: help.visibleCommands(program).map(commandSpec),
  }
}

/** Every spelling of an option: `-v`, `--version`. */
export const optionWords = (option: OptionSpec): string[] =>
  [option.short, option.long].filter((word): word is string => word !== undefined)

/** A command's name and its aliases. */
export const commandWords = (command: CommandSpec): string[] => [command.name, ...command.aliases]
