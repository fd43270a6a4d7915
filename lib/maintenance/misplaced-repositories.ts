/**
 * @module
 * Repositories a store holds although their name routes to another store (subPaths,
 * docs/zot-compatibility.md 6.1): typically `a/x` left in the default root when `/a` was added to
 * a running install. Every request for them goes to the other store, so they can no longer be
 * pulled (in zot neither); nothing says so there. Here each is named once in the log with where it
 * is and where it belongs, so a migration can move it.
 */
import type { Logger } from '../log/logger'
import type { StorePart } from '../registry/open-store'
import { normalizeRoute, routeOf } from '../registry/sub-paths/routed-registry'

const describe = (part: StorePart): string =>
  `${part.route === undefined ? 'the default store' : `the store of route ${part.route}`} (${part.rootDirectory})`

/** Logs a warning for each repository stored outside the store its name routes to. */
export async function reportMisplacedRepositories(parts: readonly StorePart[], logger: Logger): Promise<void> {
  const [main, ...subs] = parts
  if (!main || subs.length === 0) return
  const home = (repository: string): StorePart => {
    const route = routeOf(repository)
    return subs.find((part) => route !== undefined && normalizeRoute(part.route ?? '') === route) ?? main
  }
  for (const part of parts) {
    for (const repository of await part.registry.catalog.list()) {
      const belongs = home(repository)
      if (belongs === part) continue
      logger.warn('repository stored outside the store its name routes to: it cannot be pulled', {
        repository,
        storedIn: describe(part),
        routesTo: describe(belongs),
        fix: `move ${repository} into ${describe(belongs)} under the same path, or rename it`,
      })
    }
  }
}
