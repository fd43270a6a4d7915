/**
 * @module
 * The `zot` program: its commands, each defined in its own file here. Kept apart from the entry
 * point (cmd/zot.ts) so the completion scripts, the man page and their tests can walk it without
 * running it.
 */
import { Command } from 'commander'
import { COMMIT, DIST_SPEC_VERSION, VERSION } from '../lib/version'
import { registerCompletion } from './completion'
import { registerDedupe } from './dedupe'
import { registerGc } from './gc'
import { registerMan } from './man'
import { registerSchema } from './schema'
import { registerScrub } from './scrub'
import { registerServe } from './serve'
import { registerSync } from './sync'
import { registerVerifyConfig } from './verify-config'

/** The whole command line, ready for `parseAsync(process.argv)`. */
export function createProgram(): Command {
  const program = new Command('zot')
    .description('OCI registry and pull-through cache, compatible with zot')
    .version(`zot ${VERSION} (commit ${COMMIT}, distribution-spec ${DIST_SPEC_VERSION})`, '-v, --version')
  for (const register of [
    registerServe,
    registerVerifyConfig,
    registerGc,
    registerScrub,
    registerDedupe,
    registerSync,
    registerSchema,
    registerCompletion,
    registerMan,
  ])
    register(program)
  return program
}
