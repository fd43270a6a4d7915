/**
 * @module
 * Build identity. `scripts/build.ts` replaces the globals with `--define`; running from a
 * checkout they are absent and the commit reads `dev`.
 */
import packageJson from '../package.json' with { type: 'json' }

declare const ZOT_BUILD_COMMIT: string | undefined

export const VERSION: string = packageJson.version
export const COMMIT: string = typeof ZOT_BUILD_COMMIT === 'string' ? ZOT_BUILD_COMMIT : 'dev'
/** The distribution-spec version implemented (zot reports the same). */
export const DIST_SPEC_VERSION = '1.1.1'
