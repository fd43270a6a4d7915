/**
 * @module
 * What the credential-helper tests share: a private docker-registry (htpasswd) holding a few
 * tagged images, whose password only the helper's service hands out, and a `zot serve` child
 * pulling through from it with a `credentialHelper` entry and the environment that points the
 * helper at the test's service. Pulls go over the HTTP API (`manifestCheckInterval: 0s`, so each
 * tag pull asks the upstream with the credentials of that moment) or with skopeo.
 */
import { afterAll } from 'bun:test'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type ClientEnvironment, createClientEnvironment } from '../../support/clients'
import { sha256Digest } from '../../support/oci-layout'
import { type RunningRegistry, startRegistry } from '../../support/server'
import { type PushedImage, pullManifest, pushImage } from '../support/content'
import { type DockerRegistry, startDockerRegistry } from '../support/docker-registry'

export interface PrivateUpstream {
  upstream: DockerRegistry
  /** `app:1` .. `app:<count>`. */
  images: PushedImage[]
}

/** A docker-registry only `username`/`password` may read, holding `count` images of `app`. */
export async function startPrivateUpstream(username: string, password: string, count = 3): Promise<PrivateUpstream> {
  const upstream = await startDockerRegistry({ htpasswd: { username, password } })
  // Registered by the caller's file (or test, when started in one), not once for this module.
  afterAll(() => upstream.stop())
  const target = { url: upstream.url, headers: { Authorization: `Basic ${btoa(`${username}:${password}`)}` } }
  const images: PushedImage[] = []
  for (let tag = 1; tag <= count; tag++) images.push(await pushImage(target, 'app', { tag: String(tag) }))
  return { upstream, images }
}

/** `zot serve` with one on-demand entry for `url` (`registry` merged over it) and `env`. */
export async function startHelperCache(
  url: string,
  registry: Record<string, unknown>,
  env: Record<string, string>,
): Promise<RunningRegistry> {
  const cache = await startRegistry({
    config: {
      log: { level: 'debug' },
      extensions: {
        sync: {
          registries: [
            { urls: [url], onDemand: true, responseHeaderTimeout: '5s', manifestCheckInterval: '0s', ...registry },
          ],
        },
      },
    },
    env,
  })
  afterAll(() => cache.stop())
  return cache
}

/** GETs `app:<tag>` through the cache: its status. */
export async function pullTag(cache: RunningRegistry, tag: string): Promise<number> {
  return (await pullManifest(cache.url, 'app', tag)).status
}

/** The cache's log lines (JSON) whose message contains `text`. */
export function logLines(cache: RunningRegistry, text: string): Record<string, unknown>[] {
  return cache
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(text))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** Waits (polling, up to `ms`) for `condition`. */
export async function eventually(condition: () => boolean, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) return false
    await Bun.sleep(50)
  }
  return true
}

/** Sleeps until `at` (epoch ms). */
export const sleepUntil = (at: number): Promise<void> => Bun.sleep(Math.max(0, at - Date.now()))

/** skopeo copies `reference` through the cache into a `dir:`; the digests of what it wrote. */
export async function skopeoPull(cache: RunningRegistry, reference: string): Promise<Set<string>> {
  const clients: ClientEnvironment = await createClientEnvironment([cache.host])
  try {
    const destination = await clients.scratch('pull')
    await clients.skopeo(['copy', '--retry-times', '0', `docker://${cache.host}/${reference}`, `dir:${destination}`])
    const digests = new Set<string>()
    for (const name of await readdir(destination)) {
      if (name !== 'version') digests.add(sha256Digest(await readFile(join(destination, name))))
    }
    return digests
  } finally {
    await clients.cleanup()
  }
}

/** Every digest of an image: manifest, config and layers. */
export const digestsOf = (image: PushedImage): Set<string> =>
  new Set([image.digest, ...image.blobs.map((blob) => blob.digest)])
