/**
 * @module
 * `zot schema`: prints the JSON Schema of the configuration (for editors and CI validators).
 */
import type { Command } from 'commander'
import { configJsonSchema } from '../lib/config'

/** Adds `schema` to the program. */
export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of the configuration')
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`)
    })
}
