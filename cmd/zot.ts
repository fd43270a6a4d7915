#!/usr/bin/env bun
/**
 * @module
 * The `zot` command: `serve`, `verify-config` (alias `verify`), `schema`, `--version`.
 */
import { Command } from 'commander'
import { configJsonSchema, verifyConfigCommand } from '../lib/config'
import { COMMIT, DIST_SPEC_VERSION, VERSION } from '../lib/version'
import { serveCommand } from './serve'

const program = new Command('zot')
  .description('OCI registry and pull-through cache, compatible with zot')
  .version(`zot ${VERSION} (commit ${COMMIT}, distribution-spec ${DIST_SPEC_VERSION})`, '-v, --version')

program
  .command('serve')
  .description('run the registry (with no CONFIG: local storage under ./data on 127.0.0.1:5000)')
  .argument('[config]', 'zot configuration file (JSON, YAML or TOML)')
  .action(async (config?: string) => {
    process.exitCode = await serveCommand(config)
  })

program
  .command('verify-config')
  .alias('verify')
  .description('check a configuration file; exit 0 when valid, 1 when not')
  .argument('<config>', 'zot configuration file (JSON, YAML or TOML)')
  .option('--json', 'print the findings as JSON')
  .action(async (config: string, options: { json?: boolean }) => {
    process.exitCode = await verifyConfigCommand(config, { json: options.json ?? false }, { out: (line) => console.log(line), err: (line) => console.error(line) })
  })

program
  .command('schema')
  .description('print the JSON Schema of the configuration')
  .action(() => {
    console.log(JSON.stringify(configJsonSchema(), null, 2))
  })

await program.parseAsync(process.argv)
