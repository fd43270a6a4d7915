/**
 * @module
 * `zot completion bash|zsh|fish`: prints the completion script for a shell, generated from the
 * program's own command definitions so it never lists a stale command or option.
 */
import { Argument, type Command } from 'commander'
import { bashCompletion } from '../lib/cli/completion/bash'
import { fishCompletion } from '../lib/cli/completion/fish'
import { zshCompletion } from '../lib/cli/completion/zsh'
import { describeProgram, type ProgramSpec } from '../lib/cli/program-spec'

/** Each shell's script, by the name given on the command line. */
export const COMPLETION_SHELLS: Record<string, (program: ProgramSpec) => string> = {
  bash: bashCompletion,
  zsh: zshCompletion,
  fish: fishCompletion,
}

/** Adds `completion` to the program. */
export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(Object.keys(COMPLETION_SHELLS)))
    .action((shell: string) => {
      process.stdout.write(COMPLETION_SHELLS[shell]!(describeProgram(program)))
    })
}
