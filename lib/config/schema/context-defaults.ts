/**
 * @module
 * The defaults that depend on other keys (zot's `applyDefaultValues`, and sync's own): the
 * schema's fixed defaults cannot express them, so each key says `filled` or has a
 * `defaultNote`, and the decoder runs this right after filling the fixed ones. Together they
 * are every default a config gets: modules that use a decoded config apply none of their own.
 */
import { resolve } from 'node:path'
import { syncSpoolDirectory } from '../../registry/layout-names'
import { HOUR } from '../values/duration'
import { childPath, itemPath } from '../findings'
import type { IsSet } from '../implementation/set-paths'
import { allStores } from '../stores'
import { CLAIM_MAPPING_DEFAULTS, GITHUB_AUTH_URL, GITHUB_TOKEN_PATH } from './auth'
import type { Config } from './index'
import { type S3DriverConfig, s3DriverConfig } from './storage'

export function applyContextDefaults(config: Config, isSet: IsSet): void {
  applyStoreDefaults(config, isSet)
  applySyncDefaults(config, isSet)
  applyAuthDefaults(config)
}

function applyAuthDefaults(config: Config): void {
  const auth = config.http.auth
  if (auth?.openid === undefined) return
  // OpenID users need API keys for the registry API (browsers log in, clients cannot).
  auth.apikey = true
  for (const [kind, provider] of Object.entries(auth.openid.providers)) {
    provider.name ||= kind === 'github' ? 'GitHub' : kind
    // zot reads an empty claim name as its default claim.
    const { claimMapping } = provider
    claimMapping.username ||= CLAIM_MAPPING_DEFAULTS.username
    claimMapping.groups ||= CLAIM_MAPPING_DEFAULTS.groups
    if (kind === 'github') {
      // GitHub Enterprise takes the code on its own host: sending it to github.com would leak it.
      // An authurl that is no URL gets no tokenurl; a check reports it.
      provider.authurl ||= GITHUB_AUTH_URL
      if (!provider.tokenurl && URL.canParse(provider.authurl))
        provider.tokenurl = `${new URL(provider.authurl).origin}${GITHUB_TOKEN_PATH}`
    }
  }
}

function applyStoreDefaults(config: Config, isSet: IsSet): void {
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
    if (store.dedupe && store.storageDriver !== undefined && unset('remoteCache')) store.remoteCache = true
    const s3 = s3DriverConfig(store.storageDriver)
    if (s3) applyS3Defaults(s3, unset)
  }
}

/** The S3 parameters that depend on others. The decoder already dropped an empty
 * `regionendpoint`, so "written" means written and not empty. */
function applyS3Defaults(driver: S3DriverConfig, unset: (key: string) => boolean): void {
  const written = driver.regionendpoint
  // Servers behind an endpoint rarely resolve virtual-hosted bucket names; zot forces path style
  // there too (a rule warns when the file leaves it out).
  if (unset('storageDriver.forcepathstyle')) driver.forcepathstyle = written !== undefined
  if (written !== undefined && driver.region === '') driver.region = 'us-east-1'
  if (written !== undefined) {
    // distribution (aws-sdk-go) adds the scheme `secure` selects to an endpoint written without one.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(written))
      driver.regionendpoint = `${driver.secure ? 'https' : 'http'}://${written}`
  } else if (!driver.secure && driver.region !== '') {
    driver.regionendpoint = `http://s3.${driver.region}.amazonaws.com`
  }
}

function applySyncDefaults(config: Config, isSet: IsSet): void {
  const sync = config.extensions?.sync
  if (!sync) return
  // zot stages pulls under its storage root too; on local disk a verified blob is then renamed
  // into place instead of copied. Remote storage needs a local directory: a check asks for one.
  if (!isSet('extensions.sync.downloadDir'))
    sync.downloadDir = syncSpoolDirectory(resolve(config.storage.rootDirectory))
  for (const [index, registry] of sync.registries.entries()) {
    // Without a cap of its own, the back-off stays at the first delay.
    if (!isSet(`${itemPath('extensions.sync.registries', index)}.maxRetryDelay`))
      registry.maxRetryDelay = registry.retryDelay
  }
}
