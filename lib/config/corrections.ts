/**
 * @module
 * The corrections zot makes with a warning after validation (replaced dist-spec version, raised
 * intervals). Defaults, fixed and context-dependent, live in the schema.
 */
import { formatDuration, HOUR } from './values/duration'
import type { FindingList } from './findings'
import { DIST_SPEC_VERSION, type Config } from './schema'

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
        cve.updateInterval = atLeastTwoHours(cve.updateInterval, 'extensions.search.cve.updateInterval', findings)
      const scrub = config.extensions?.scrub
      if (scrub) scrub.interval = atLeastTwoHours(scrub.interval, 'extensions.scrub.interval', findings)
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
