/**
 * @module
 * Whether `extensions.ui` is on, without loading the UI (lib/server/assemble.ts imports the UI only
 * then; tests/server/lazy-modules.test.ts).
 */
import type { Config } from '../config'

export const uiEnabled = (config: Config): boolean => config.extensions?.ui?.enable === true
