/**
 * @module
 * What a configuration with `extensions.search` adds to the app: the engine in every request's
 * context (the UI searches in-process through it), `/v2/_zot/ext/search`, and zot's
 * `/v2/_zot/ext/userprefs` when the UI is on too (zot's rule). Without search, nothing: zot's 404.
 */
import type { Hono, MiddlewareHandler } from 'hono'
import type { Config } from '../config'
import type { AppEnv } from '../http/context'
import { searchRoutes } from '../http/routes/search'
import { userPrefsRoutes } from '../http/routes/userprefs'
import { provideSearch } from './execute'
import type { SearchRuntime } from './runtime'
import { setupSearch } from './setup'
import type { ViewerPolicy } from './viewers'

export interface SearchMount {
  /** Puts the engine in the request context; mount with the other middleware. */
  middleware: MiddlewareHandler<AppEnv>
  routes(app: Hono<AppEnv>): void
}

export function searchFor(config: Config, runtime: SearchRuntime, policy: ViewerPolicy): SearchMount {
  const engine = setupSearch(runtime, policy)
  const userPrefs = config.extensions?.ui?.enable === true
  return {
    middleware: provideSearch(engine),
    routes(app) {
      searchRoutes(app)
      if (userPrefs) userPrefsRoutes(app)
    },
  }
}
