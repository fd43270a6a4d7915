/**
 * @module
 * A small least-recently-used map (Map keeps insertion order; a hit re-inserts), bounded by a
 * total weight: the entry count by default, or e.g. bytes with a `weigh` function.
 */
export class Lru<K, V> {
  private readonly entries = new Map<K, V>()
  private weight = 0

  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  set(key: K, value: V): void {
    this.delete(key)
    const weight = this.weigh(value)
    if (weight > this.capacity) return
    this.entries.set(key, value)
    this.weight += weight
    while (this.weight > this.capacity) this.delete(this.entries.keys().next().value as K)
  }

  delete(key: K): void {
    const value = this.entries.get(key)
    if (value === undefined) return
    this.entries.delete(key)
    this.weight -= this.weigh(value)
  }
}
