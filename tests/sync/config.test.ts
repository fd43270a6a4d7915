/**
 * Real users' mirror configs (tests/fixtures/configs), decoded by lib/config and handed to sync as
 * `serve` wires it: durations arrive in milliseconds, defaults are the schema's, and local names
 * route to the right upstream — checked without sending a single request (the fixtures name
 * public hosts).
 */
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { inspectConfigFile, type SyncConfig } from '../../lib/config'
import { silentLogger } from '../../lib/log/logger'
import { resolveRegistry } from '../../lib/sync/config'
import { namespacedRepository } from '../../lib/sync/routing/ns-parameter'
import { Router } from '../../lib/sync/routing/router'
import { UpstreamClient } from '../../lib/sync/upstream/upstream-client'
import { UpstreamSource } from '../../lib/sync/upstream/upstream-source'

const FIXTURES = join(import.meta.dir, '../fixtures/configs')

async function syncOf(fixture: string): Promise<SyncConfig> {
  // Inspected, not loaded: the fixtures name files (htpasswd, secrets) this machine lacks.
  const { config } = await inspectConfigFile(`${FIXTURES}/${fixture}`)
  const sync = config?.extensions?.sync
  if (!sync) throw new Error(`${fixture} has no extensions.sync`)
  return sync
}

/** A router over the config; its upstream clients are never asked anything. */
function routerOf(config: SyncConfig): Router {
  const entries = config.registries.map((entry, index) => {
    const registry = resolveRegistry(entry, index)
    const client = new UpstreamClient({
      registry,
      credentials: async () => undefined,
      tls: Promise.resolve({ rejectUnauthorized: true }),
      logger: silentLogger(),
    })
    return { registry, upstream: new UpstreamSource(client) }
  })
  return new Router(entries)
}

const routed = (router: Router, local: string): string[] =>
  router.routes(local).map((route) => `${route.upstream.name} ${route.remote}`)

describe('shared fixture configs', () => {
  test('blumeops: one destination per upstream, Docker Hub names get library/', async () => {
    const config = await syncOf('blumeops-open-mirror.json')
    const router = routerOf(config)
    expect(routed(router, 'docker.io/alpine')).toEqual(['https://registry-1.docker.io library/alpine'])
    expect(routed(router, 'ghcr.io/org/tool')).toEqual(['https://ghcr.io org/tool'])
    expect(routed(router, 'quay.io/prometheus/node-exporter')).toEqual(['https://quay.io prometheus/node-exporter'])
    expect(routed(router, 'elsewhere/app')).toEqual([])
    const hub = resolveRegistry(config.registries[0]!, 0)
    expect(namespacedRepository(hub, 'library/nginx', 'docker.io')).toBe('docker.io/library/nginx')
  })

  test('lumie: prefixes without destination keep upstream names; first matching registry wins', async () => {
    const router = routerOf(await syncOf('lumie-s3-oidc-mirror.json'))
    expect(routed(router, 'bitnami/redis')).toEqual(['https://registry-1.docker.io bitnami/redis'])
    expect(routed(router, 'prometheus/prometheus')).toEqual(['https://quay.io prometheus/prometheus'])
    expect(routed(router, 'kaniko-project/executor')).toEqual(['https://gcr.io kaniko-project/executor'])
  })

  test('scheduled mirror: durations in milliseconds, periodic-only entries never pull on demand', async () => {
    const config = await syncOf('handbook-scheduled-mirror.json')
    const [hub, ghcr] = config.registries.map(resolveRegistry)
    expect(hub!.pollInterval).toBe(6 * 3600_000)
    expect(hub!.onDemand).toBe(false)
    expect(ghcr!.onDemand).toBe(true)
    const router = routerOf(config)
    expect(routed(router, 'library/nginx')).toEqual(['https://ghcr.io library/nginx'])
  })
})
