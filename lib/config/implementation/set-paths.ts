/**
 * @module
 * Which keys the file of a decoded config set. A default fills the same value a file could
 * write, so the context defaults, the cross-field checks and the "not implemented yet" warnings
 * ask this instead of looking for an absent value.
 */
import type { Config } from '../schema'

/** Whether the file set a key path, e.g. `extensions.sync.registries[0].retryDelay`. */
export type IsSet = (path: string) => boolean

const remembered = new WeakMap<Config, ReadonlySet<string>>()

export function rememberSetPaths(config: Config, setPaths: ReadonlySet<string>): void {
  remembered.set(config, setPaths)
}

/** The key paths the file of `config` set; undefined for a config built in code. */
export function setPathsOf(config: Config): ReadonlySet<string> | undefined {
  return remembered.get(config)
}
