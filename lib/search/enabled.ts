/**
 * @module
 * Whether `extensions.search` is on, without loading search (lib/server/assemble.ts imports its
 * API, graphql included, only then; tests/server/lazy-modules.test.ts).
 */
import type { Config } from '../config'

export const searchEnabled = (config: Config): boolean => config.extensions?.search?.enable === true
