/**
 * @module
 * zot's `storage.maxRepos` (docs/zot-compatibility.md 2.1): a request that would create a
 * repository beyond the limit is refused 429 TOOMANYREQUESTS with the limit in `detail`. zot
 * checks manifest PUTs only; here every write that can create a repository is checked (a
 * manifest PUT, an upload or a mount), because an upload alone creates one too. Creations in
 * flight are counted, so concurrent pushes to new names cannot overshoot, without holding a lock
 * for the length of an upload. The count is this process's view: replicas sharing a bucket may
 * each admit the last repository (their catalogs catch up within seconds).
 */
import { createMiddleware } from 'hono/factory'
import { RegistryError } from '../../errors/registry-error'
import type { CatalogView } from '../../registry/registry'
import type { AppEnv } from '../context'

export function repositoryQuota(maxRepos: number, catalog: CatalogView) {
  const creating = new Set<string>()
  return createMiddleware<AppEnv>(async function repositoryQuota(c, next) {
    const target = c.get('target')
    const creates =
      (target?.kind === 'manifest' && c.req.method === 'PUT') || (target?.kind === 'uploads' && c.req.method === 'POST')
    if (!creates || catalog.has(target.repository) || creating.has(target.repository)) return next()
    const existing = await catalog.list()
    if (!existing.includes(target.repository) && existing.length + creating.size >= maxRepos) {
      throw new RegistryError('TOOMANYREQUESTS', {
        message: 'repository quota reached',
        detail: {
          description: `this registry holds at most ${maxRepos} repositories (storage.maxRepos); push to an existing one or delete one`,
          limit: String(maxRepos),
        },
      })
    }
    creating.add(target.repository)
    try {
      await next()
    } finally {
      creating.delete(target.repository)
    }
  })
}
