/**
 * @module
 * zot's defaults that depend on other keys (`applyDefaultValues` in zot), and the corrections
 * zot makes with a warning after validation (replaced dist-spec version, raised intervals,
 * implied S3 path style). Fixed defaults live in the schema; these are the rest.
 */
import { formatDuration, HOUR } from './duration'
import { childPath, type FindingList } from './findings'
import { DIST_SPEC_VERSION, type Config } from './schema'
import { allStores } from './stores'

export type IsSet = (path: string) => boolean

export function applyContextDefaults(config: Config, isSet: IsSet): void {
  for (const { path, route, store } of allStores(config)) {
    const unset = (key: string) => !isSet(childPath(path, key))
    if (store.gc) {
      // Sub-stores do not inherit the top-level defaults, except these when gc is on.
      if (route !== undefined && unset('gcDelay')) store.gcDelay = HOUR
      if (route !== undefined && unset('gcInterval')) store.gcInterval = HOUR
      if (unset('retention.delay')) store.retention.delay = store.gcDelay
    } else {
      if (unset('gcDelay')) store.gcDelay = 0
      if (unset('gcInterval')) store.gcInterval = 0
      if (unset('retention.delay')) store.retention.delay = 0
    }
    // With remote storage, dedupe needs a shared cache, so zot assumes a remote one.
    if (store.dedupe && store.storageDriver !== undefined && unset('remoteCache'))
      store.remoteCache = true
  }
  const auth = config.http.auth
  // OpenID users need API keys for the registry API (browsers log in, clients cannot).
  if (auth?.openid !== undefined) auth.apikey = true
}

/** A change zot makes to a config, with the warning it logs. */
interface Correction {
  summary: string
  apply: (config: Config, findings: FindingList) => void
}

export const CORRECTIONS: readonly Correction[] = [
  {
    summary: `\`distSpecVersion\` other than ${DIST_SPEC_VERSION} is replaced by it.`,
    apply(config, findings) {
      if (config.distSpecVersion === DIST_SPEC_VERSION) return
      findings.warn(
        'distSpecVersion',
        `zot-bun implements distribution-spec ${DIST_SPEC_VERSION}; the configured version is ignored`,
        {
          value: config.distSpecVersion,
          fix: `set it to "${DIST_SPEC_VERSION}" or remove the key`,
        },
      )
      config.distSpecVersion = DIST_SPEC_VERSION
    },
  },
  {
    summary: 'CVE `updateInterval` and scrub `interval` below 2h are raised to 2h.',
    apply(config, findings) {
      const cve = config.extensions?.search?.cve
      if (cve)
        cve.updateInterval = atLeastTwoHours(
          cve.updateInterval,
          'extensions.search.cve.updateInterval',
          findings,
        )
      const scrub = config.extensions?.scrub
      if (scrub)
        scrub.interval = atLeastTwoHours(scrub.interval, 'extensions.scrub.interval', findings)
    },
  },
  {
    summary: 'S3 `regionendpoint` without `forcepathstyle` sets `forcepathstyle: true`.',
    apply(config, findings) {
      for (const { path, store } of allStores(config)) {
        const driver = store.storageDriver
        if (
          driver?.['name'] !== 's3' ||
          !('regionendpoint' in driver) ||
          'forcepathstyle' in driver
        )
          continue
        findings.warn(
          `${path}.storageDriver.forcepathstyle`,
          'not set while `regionendpoint` is; path-style addressing is used',
          {
            fix: 'add "forcepathstyle": true (or false if the endpoint supports virtual-hosted buckets)',
          },
        )
        driver['forcepathstyle'] = true
      }
    },
  },
]

export function applyCorrections(config: Config, findings: FindingList): void {
  for (const correction of CORRECTIONS) correction.apply(config, findings)
}

function atLeastTwoHours(interval: number, path: string, findings: FindingList): number {
  if (interval >= 2 * HOUR) return interval
  findings.warn(path, 'shorter than the 2h minimum; 2h is used', {
    value: formatDuration(interval),
    fix: 'set it to "2h" or more',
  })
  return 2 * HOUR
}
