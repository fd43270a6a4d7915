#!/usr/bin/env bun
/**
 * @module
 * The `zot` command: `serve`, `verify-config` (alias `verify`), `schema`, `--version`.
 */
import { Command } from 'commander'
import { configJsonSchema, verifyConfigCommand } from '../lib/config'
import { gcCommand, processIo, scrubCommand } from '../lib/maintenance'
import { COMMIT, DIST_SPEC_VERSION, VERSION } from '../lib/version'
import { loadConfigOrExplain } from './load-config'
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
    process.exitCode = await verifyConfigCommand(
      config,
      { json: options.json ?? false },
      { out: (line) => console.log(line), err: (line) => console.error(line) },
    )
  })

program
  .command('gc')
  .description(
    'run one garbage-collection and retention pass now (whatever storage.gc says), with the configured delays',
  )
  .argument('<config>', 'zot configuration file')
  .option('--dry-run', 'report what would be deleted and why, delete nothing')
  .option('--json', 'print the report as JSON')
  .action(async (path: string, options: { dryRun?: boolean; json?: boolean }) => {
    const loaded = await loadConfigOrExplain(path, 'gc')
    if (!loaded) return void (process.exitCode = 1)
    const { config } = loaded
    process.exitCode = await gcCommand(
      { storage: config.storage, http: config.http, dryRun: options.dryRun ?? false, json: options.json ?? false },
      processIo(),
    )
  })

program
  .command('scrub')
  .description('re-hash everything every repository references; exit 2 when anything is affected')
  .argument('<config>', 'zot configuration file')
  .option('--json', 'print the results as JSON')
  .action(async (path: string, options: { json?: boolean }) => {
    const loaded = await loadConfigOrExplain(path, 'scrub')
    if (!loaded) return void (process.exitCode = 1)
    const { config } = loaded
    process.exitCode = await scrubCommand(
      { storage: config.storage, http: config.http, json: options.json ?? false },
      processIo(),
    )
  })

program
  .command('schema')
  .description('print the JSON Schema of the configuration')
  .action(() => {
    console.log(JSON.stringify(configJsonSchema(), null, 2))
  })

await program.parseAsync(process.argv)
