/**
 * @module
 * Results kept for a short time and loaded once however many ask at the same moment: upstream
 * tag lists and referrer syncs, which tools poll (Flux, Renovate) far more often than upstream
 * content changes, and per-user records that every request of a login reads. Bounded (least
 * recently used entries go first). Failures are not kept; the next caller tries again.
 */
import { Lru } from './lru'
import { SingleFlight } from './single-flight'

export class ExpiringCache<T> {
  private readonly entries = new Lru<string, { value: T; at: number }>(10_000)
  private readonly flights = new SingleFlight<T>()

  constructor(
    private readonly ttl: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps a value just written elsewhere (a store's write-through), so `get` needs no load. */
  set(key: string, value: T): void {
    this.entries.set(key, { value, at: this.now() })
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key)
    if (entry && this.now() - entry.at < this.ttl) return Promise.resolve(entry.value)
    return this.flights.run(key, async () => {
      const value = await load()
      this.entries.set(key, { value, at: this.now() })
      return value
    })
  }
}
