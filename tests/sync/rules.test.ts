/**
 * The pure parts of sync: zot's name mapping (its own test vectors from
 * pkg/extensions/sync/content_internal_test.go), tag filters, host normalisation and `?ns=`
 * mapping (Docker Hub aliases, `library/`), challenge parsing, Retry-After and the circuit
 * breaker.
 */
import { describe, expect, test } from 'bun:test'
import type { SyncContentConfig } from '../../lib/config'
import { RegistryError } from '../../lib/errors/registry-error'
import { CircuitBreaker } from '../../lib/sync/upstream/circuit-breaker'
import { resolveRegistry, type ResolvedRegistry } from '../../lib/sync/config'
import { hostKey, urlHostKey } from '../../lib/sync/upstream/hosts'
import { contentForLocal, contentForRemote, localName, remoteName } from '../../lib/sync/routing/name-mapping'
import { namespacedRepository } from '../../lib/sync/routing/ns-parameter'
import { filterTags, legacyReferenceTags } from '../../lib/sync/mirror/tag-filter'
import { parseChallenge } from '../../lib/sync/upstream/upstream-auth'
import { retryAfterMs } from '../../lib/sync/upstream/upstream-client'
import { testSyncConfig } from '../support/config'

type ContentJson = Record<string, unknown>

/** `content[]` entries as a config file writes them, decoded with the schema's defaults. */
function contentOf(entries: ContentJson[]): SyncContentConfig[] {
  return testSyncConfig({ registries: [{ urls: ['https://upstream.test'], content: entries }] }).registries[0]!.content
}

describe('name mapping (zot test vectors)', () => {
  const cases: [local: string, remote: string, content: ContentJson][] = [
    ['alpine/zot-fold/alpine', 'zot-fold/alpine', { prefix: 'zot-fold/alpine', destination: '/alpine' }],
    ['zot-fold/alpine', 'zot-fold/alpine', { prefix: 'zot-fold/alpine', destination: '/' }],
    ['alpine', 'zot-fold/alpine', { prefix: 'zot-fold/alpine', destination: '/alpine', stripPrefix: true }],
    ['alpine', 'zot-fold/alpine', { prefix: 'zot-fold/*', destination: '/', stripPrefix: true }],
    ['alpine', 'zot-fold/alpine', { prefix: 'zot-fold/**', destination: '/', stripPrefix: true }],
    ['zot-fold/alpine', 'zot-fold/alpine', { prefix: 'zot-fold/**', destination: '/' }],
    ['docker.io/library/alpine', 'library/alpine', { prefix: '**', destination: '/docker.io' }],
    ['local/a/b', 'repo1/a/b', { prefix: '/repo1/**', destination: '/local', stripPrefix: true }],
  ]
  test.each(cases)('%s <-> %s', (local, remote, written) => {
    const [content] = contentOf([written])
    expect(localName(content!, remote)).toBe(local)
    expect(remoteName(content!, local)).toBe(remote)
  })

  test('the first content entry covering a local name wins', () => {
    const pick = (local: string, entries: ContentJson[]) => {
      const content = contentOf(entries)
      const found = contentForLocal(content, local)
      return found ? content.indexOf(found) : -1
    }
    expect(
      pick('alpine/zot-fold/alpine', [
        { prefix: 'zot-fold/alpine/', destination: '/alpine', stripPrefix: true },
        { prefix: 'zot-fold/alpine', destination: '/alpine' },
      ]),
    ).toBe(1)
    expect(
      pick('alpine/zot-fold/alpine', [
        { prefix: 'zot-fold/*', destination: '/alpine' },
        { prefix: 'zot-fold/alpine', destination: '/alpine', stripPrefix: true },
      ]),
    ).toBe(0)
    expect(
      pick('myFold/zot-fold/internal/alpine', [
        { prefix: 'zot-fold/alpine', destination: '/alpine', stripPrefix: true },
        { prefix: 'zot-fold/**', destination: '/myFold' },
      ]),
    ).toBe(1)
    expect(
      pick('alpine', [
        { prefix: 'zot-fold/*', destination: '/alpine', stripPrefix: true },
        { prefix: 'zot-fold/alpine', destination: '/', stripPrefix: true },
      ]),
    ).toBe(-1)
    expect(
      pick('alpine', [
        { prefix: 'zot-fold/*', destination: '/alpine', stripPrefix: true },
        { prefix: 'zot-fold/*', destination: '/', stripPrefix: true },
      ]),
    ).toBe(1)
    expect(
      pick('alpine/alpine', [
        { prefix: 'zot-fold/*', destination: '/alpine', stripPrefix: true },
        { prefix: 'zot-fold/*', destination: '/', stripPrefix: true },
      ]),
    ).toBe(0)
  })

  test('upstream names pick content by prefix glob, leading slash ignored', () => {
    const content = contentOf([{ prefix: '/library/**' }, { prefix: 'bitnami/*' }])
    expect(contentForRemote(content, 'library/nginx')).toBe(content[0])
    expect(contentForRemote(content, 'bitnami/redis')).toBe(content[1])
    expect(contentForRemote(content, 'bitnami/charts/redis')).toBeUndefined()
  })
})

describe('tag filters', () => {
  const filter = (entry: ContentJson, tags: string[]) => filterTags(contentOf([entry])[0], tags)

  test('regex, then excludeRegex, then semver (Masterminds v1 grammar)', () => {
    expect(filter({ prefix: '**', tags: { regex: '.*', semver: true } }, ['1s0', '2v9', 'v3.0.3'])).toEqual(['v3.0.3'])
    expect(filter({ prefix: '**', tags: { semver: true } }, ['latest', 'v1.0.1', '1.2', '3', '1.2.3-rc.1'])).toEqual([
      'v1.0.1',
      '1.2',
      '3',
      '1.2.3-rc.1',
    ])
    expect(
      filter({ prefix: '**', tags: { regex: '^1\\.2[0-9]', excludeRegex: '-alpine$' } }, [
        '1.25',
        '1.25-alpine',
        '1.19',
        'x1.25',
      ]),
    ).toEqual(['1.25'])
    expect(filter({ prefix: '**', tags: { regex: '(?i)^LATEST$' } }, ['latest', 'Latest', 'v1'])).toEqual([
      'latest',
      'Latest',
    ])
    expect(filterTags(undefined, ['a', 'b'])).toEqual(['a', 'b'])
  })

  test('signature and SBOM tags follow their image, not the filters', () => {
    const digest = `sha256:${'a'.repeat(64)}`
    const tags = [
      '1.0',
      `sha256-${'a'.repeat(64)}.sig`,
      `sha256-${'a'.repeat(64)}.sbom`,
      `sha256-${'b'.repeat(64)}.sig`,
    ]
    expect(filter({ prefix: '**' }, tags)).toEqual(['1.0'])
    expect(legacyReferenceTags(tags, digest)).toEqual(tags.slice(1, 3))
  })
})

describe('hosts and ?ns= mapping', () => {
  const entry = (url: string, content: ContentJson[] = []): ResolvedRegistry =>
    resolveRegistry(testSyncConfig({ registries: [{ urls: [url], onDemand: true, content }] }).registries[0]!, 0)

  test('Docker Hub aliases and default ports are one host', () => {
    expect(hostKey('index.docker.io')).toBe('docker.io')
    expect(urlHostKey('https://registry-1.docker.io')).toBe('docker.io')
    expect(hostKey('GHCR.io:443')).toBe('ghcr.io')
    expect(hostKey('127.0.0.1:5000')).toBe('127.0.0.1:5000')
  })

  test('a namespaced path maps through the entry destination, with library/ for Docker Hub', () => {
    const hub = entry('https://registry-1.docker.io', [{ prefix: '**', destination: '/docker.io' }])
    expect(namespacedRepository(hub, 'library/nginx', 'docker.io')).toBe('docker.io/library/nginx')
    expect(namespacedRepository(hub, 'nginx', 'docker.io')).toBe('docker.io/library/nginx')
    // zot's documented per-host setup already puts the destination in the path.
    expect(namespacedRepository(hub, 'docker.io/library/nginx', 'docker.io')).toBe('docker.io/library/nginx')
    expect(namespacedRepository(entry('https://quay.io'), 'org/app', 'quay.io')).toBe('org/app')
    expect(
      namespacedRepository(
        entry('https://ghcr.io', [{ prefix: 'org/**', destination: '/gh', stripPrefix: true }]),
        'org/app',
        'ghcr.io',
      ),
    ).toBe('gh/app')
  })

  test('a namespaced name no content rule covers is a 404 that says so', () => {
    const ghcr = entry('https://ghcr.io', [{ prefix: 'allowed/**' }])
    const error = (() => {
      try {
        return namespacedRepository(ghcr, 'other/app', 'ghcr.io')
      } catch (thrown) {
        return thrown as RegistryError
      }
    })()
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).status).toBe(404)
    expect(String((error as RegistryError).detail.description)).toContain('no content rule')
  })
})

describe('upstream protocol details', () => {
  test('WWW-Authenticate challenges', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/alpine:pull',
      },
    })
    expect(parseChallenge('basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    })
    expect(parseChallenge(null)).toBeUndefined()
  })

  test('Retry-After in seconds or as a date', () => {
    expect(retryAfterMs('120')).toBe(120_000)
    expect(retryAfterMs(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThan(25_000)
    expect(retryAfterMs('soon')).toBeUndefined()
  })

  test('the circuit breaker opens after repeated failures, probes once, and honours Retry-After', () => {
    let now = 0
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldown: 1000, now: () => now })
    breaker.failure('error')
    breaker.failure('error')
    expect(breaker.tryAcquire()).toBe(true)
    breaker.failure('error')
    expect(breaker.tryAcquire()).toBe(false)
    now = 1000
    expect(breaker.tryAcquire()).toBe(true)
    expect(breaker.tryAcquire()).toBe(false)
    breaker.failure('error')
    now = 2500
    expect(breaker.tryAcquire()).toBe(false)
    now = 3000
    expect(breaker.tryAcquire()).toBe(true)
    breaker.success()
    expect(breaker.tryAcquire()).toBe(true)
    breaker.failure('rate-limited', 60_000)
    expect(breaker.remaining()).toBe(60_000)
    breaker.success()
    breaker.failure('timeout')
    expect(breaker.tryAcquire()).toBe(false)
  })

  test('answered headers close the circuit but keep counting until a body comes whole', () => {
    let now = 0
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldown: 1000, now: () => now })
    // Good headers, then a body that breaks off: three in a row open the circuit.
    for (let attempt = 0; attempt < 2; attempt++) {
      breaker.answered()
      breaker.failure('error')
      expect(breaker.tryAcquire()).toBe(true)
    }
    breaker.answered()
    breaker.failure('error')
    expect(breaker.tryAcquire()).toBe(false)
    // A probe whose headers come closes it; a whole body resets the count.
    now = 1000
    expect(breaker.tryAcquire()).toBe(true)
    breaker.answered()
    expect(breaker.remaining()).toBe(0)
    breaker.success()
    breaker.failure('error')
    breaker.failure('error')
    expect(breaker.tryAcquire()).toBe(true)
  })
})
