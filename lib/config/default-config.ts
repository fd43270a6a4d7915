/**
 * @module
 * The configuration `serve` uses when started without one: local disk under `./data`, listening
 * on 127.0.0.1:5000, everything else zot's defaults.
 */
import { configFromObject } from './load'
import type { Config } from './schema'

export const EMBEDDED_DEFAULT_CONFIG = {
  storage: { rootDirectory: './data' },
  http: { address: '127.0.0.1', port: 5000 },
} as const

/** A fresh, fully defaulted copy of the embedded default configuration. */
export function defaultConfig(): Config {
  return configFromObject(structuredClone(EMBEDDED_DEFAULT_CONFIG), 'embedded default config')
}
