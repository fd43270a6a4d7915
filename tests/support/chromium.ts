/**
 * @module
 * Debian's Chromium for the browser tests, launched headless through playwright-core with the
 * flags that keep it from reaching beyond 127.0.0.1 (no updates, sync or QUIC probes).
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Launches Chromium on a new, empty profile directory of its own (playwright refuses a
 * --user-data-dir argument there). Installed by scripts/install-test-tools.sh; missing, the
 * suite fails rather than skips.
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run scripts/install-test-tools.sh as root (apt-get install chromium)`)
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
}
