/**
 * @module
 * Storage paths the config layer needs as well as the registry (the default of sync's
 * `downloadDir`). A leaf that imports nothing of this project, so lib/config depends on it without
 * depending on the registry; layout.ts re-exports it with the rest of the layout.
 */
import { join } from 'node:path'

/** Pull-through spools by default: beside local storage, so a verified blob is renamed in. */
export const syncSpoolDirectory = (rootDirectory: string): string => join(rootDirectory, '.sync')
