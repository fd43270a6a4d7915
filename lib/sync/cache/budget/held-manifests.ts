/**
 * @module
 * Manifests fetched for a pull while the disk had no room to store them, even after eviction:
 * kept in memory (at most 16 MiB, least recently used out) and served from there, so the pull
 * still gets its image. They are not cached: the next pull that misses them fetches them again,
 * and stores them if there is room by then.
 */
import { Lru } from '../../../cache/lru'

const HELD_BYTES = 16 << 20

export class HeldManifests {
  private readonly held = new Lru<string, Uint8Array>(HELD_BYTES, (bytes) => bytes.byteLength)

  hold(repository: string, digest: string, bytes: Uint8Array): void {
    this.held.set(`${repository}@${digest}`, bytes)
  }

  body(repository: string, digest: string): Uint8Array | undefined {
    return this.held.get(`${repository}@${digest}`)
  }
}
