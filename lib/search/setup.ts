/**
 * @module
 * Search for one configuration: the engine over the long-lived search runtime, with viewers
 * decided by the auth layer. `buildApp` calls it when `extensions.search` is on.
 */
import { createSearchEngine, type SearchEngine } from './engine'
import { rootResolvers } from './resolvers/root'
import type { SearchRuntime } from './runtime'
import { viewerFor, type ViewerPolicy } from './viewers'

export function setupSearch(runtime: SearchRuntime, policy: ViewerPolicy): SearchEngine {
  runtime.start()
  const { view, marks } = runtime
  return createSearchEngine({
    viewer: viewerFor(policy),
    root: rootResolvers(view),
    async toggle(viewer, repository, kind) {
      // zot: anonymous users and users who cannot read the repository keep no preferences.
      if (viewer.username === '' || !viewer.canRead(repository)) return 'forbidden'
      if (!(await view.index.get(repository))) return 'unknown'
      await marks.toggle(viewer.username, repository, kind)
      return 'toggled'
    },
  })
}
