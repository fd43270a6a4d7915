/**
 * @module
 * `zot man`: prints the man page (roff), generated from the program's own command definitions;
 * `zot man | man -l -` reads it, install.sh installs it as man1/zot.1.
 */
import type { Command } from 'commander'
import { manPage } from '../lib/cli/man-page'
import { describeProgram } from '../lib/cli/program-spec'
import { VERSION } from '../lib/version'

/** Adds `man` to the program. */
export function registerMan(program: Command): void {
  program
    .command('man')
    .description('print the man page (roff; read it with: zot man | man -l -)')
    .action(() => {
      process.stdout.write(manPage(describeProgram(program), VERSION))
    })
}
