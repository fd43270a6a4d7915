/**
 * @module
 * A real registry (local storage in a temp directory, the lead's app) behind `setupAuth`, for
 * tests that push and pull through authentication. `as(headers)` gives a harness whose requests
 * carry credentials, so the HTTP tests' push helpers work unchanged.
 */
import type { Hono } from 'hono'
import { setupAuth, type AuthSetup } from '../../lib/auth/setup'
import { createApp } from '../../lib/http/app'
import type { AppEnv } from '../../lib/http/context'
import { silentLogger } from '../../lib/log/logger'
import { openStore } from '../../lib/registry/open-store'
import type { StateStore } from '../../lib/registry/storage/state-store'
import type { Harness } from '../http/harness'
import { testConfig, testStorageConfig } from '../support/config'
import { tempDirectory } from './support'

export interface AuthRegistry {
  app: Hono<AppEnv>
  auth: AuthSetup
  /** Where auth keeps API keys and users (the registry's state store). */
  state: StateStore
  rootDirectory: string
  /** Anonymous requests. */
  anonymous: Harness
  /** Requests with these headers (credentials, cookies). */
  as(headers: Record<string, string>): Harness
}

/** `http` keys as a config file writes them; decoded as `serve` decodes them. */
export interface AuthRegistryConfig {
  auth?: Record<string, unknown>
  accessControl?: Record<string, unknown>
  realm?: string
  externalUrl?: string
  /** Reuse a storage root: a restart. */
  rootDirectory?: string
}

export async function authRegistry(config: AuthRegistryConfig): Promise<AuthRegistry> {
  const rootDirectory = config.rootDirectory ?? (await tempDirectory('auth-registry'))
  const storage = testStorageConfig({ rootDirectory })
  const { registry } = await openStore(storage)
  const { auth: written, accessControl, realm, externalUrl } = config
  const http = testConfig({ http: { auth: written, accessControl, realm, externalUrl } }).http
  const auth = await setupAuth({
    auth: http.auth,
    accessControl: http.accessControl,
    realm: http.realm,
    externalUrl: http.externalUrl,
    tls: false,
    state: registry.state,
    logger: silentLogger(),
    tagExists: (repository, tag) => registry.tagExists(repository, tag),
  })
  const app = createApp({
    registry,
    logger: silentLogger(),
    redirectBlobs: storage.redirectBlobURL,
    middleware: auth.middleware,
    routes: auth.routes,
  })
  const as = (headers: Record<string, string>): Harness => ({
    rootDirectory,
    registry,
    request: async (path, init = {}) =>
      app.request(`http://registry.test${path}`, {
        ...init,
        headers: { ...headers, ...Object.fromEntries(new Headers(init.headers)) },
      }),
  })
  return { app, auth, state: registry.state, rootDirectory, anonymous: as({}), as }
}
