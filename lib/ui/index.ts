/**
 * @module
 * The web UI's entry for the server: its routes for a config. Imported only when `extensions.ui`
 * is on (enabled.ts tells): the pages are code a registry without the UI never loads.
 */
import type { Hono } from 'hono'
import type { AuthSetup } from '../auth/setup'
import type { Config } from '../config'
import type { AppEnv } from '../http/context'
import type { Registry } from '../registry/registry'
import { uiRoutes } from './ui-routes'
import { upstreamOf } from './upstreams'

/**
 * Mounts the UI on `routes` (the caller imports this module only when `extensions.ui` is on, as
 * enabled.ts tells); `loopback` is the whole app, through which the UI's forms make their changes.
 */
export function mountUi(
  routes: Hono<AppEnv>,
  options: { config: Config; auth: AuthSetup; registry: Registry; loopback: (request: Request) => Promise<Response> },
): void {
  const { config, auth } = options
  routes.route(
    '/',
    uiRoutes({
      ...(auth.ui && { auth: auth.ui }),
      readable: auth.readable,
      registry: options.registry,
      upstreamOf: upstreamOf(config.extensions?.sync),
      ...(config.http.externalUrl && { externalUrl: config.http.externalUrl }),
      loopback: options.loopback,
    }),
  )
}
