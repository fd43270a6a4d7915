/**
 * @module
 * Caps on open upload sessions, per owner (a user, or an anonymous client's address) and in all.
 * Every session is a file in storage and a hash state in memory, and every request writing to it
 * holds a descriptor: without a cap one client could open them until the process runs out.
 *
 * A session counts from its POST until it completes, is cancelled or fails its digest, or has been
 * idle for `idleMs` with no request writing to it (GC removes such sessions from storage after at
 * least as long). A request in flight keeps its session from expiring however long the transfer
 * takes, and always gives it back when it ends, aborted or not, so no slot is held forever. A
 * session resumed after expiring, after a restart or on another replica is counted again, cap
 * checked. Counts are this process's: replicas sharing a bucket each apply the caps.
 */
import { RegistryError } from '../../errors/registry-error'

export interface UploadLimits {
  /** Open sessions one owner may hold. */
  perOwner: number
  /** Open sessions of all owners together. */
  total: number
  /** A session unused for this long stops counting. */
  idleMs: number
}

/**
 * 100 per owner is far above what a client needs (Docker uploads 3 layers at once, CI runners a
 * few images); 10,000 in all keeps every open session's hash state in memory (UploadStore keeps
 * 10,000) and the descriptors well under common limits. 10 minutes is GC's shortest idle time for
 * an upload session.
 */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { perOwner: 100, total: 10_000, idleMs: 10 * 60_000 }

interface Slot {
  owner: string
  /** Requests writing to the session right now. */
  writers: number
  lastUsed: number
}

export class UploadQuota {
  private readonly slots = new Map<string, Slot>()
  private readonly byOwner = new Map<string, Set<string>>()

  constructor(
    private readonly limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Counts session `id` for `owner` (refreshes it when already counted).
   *
   * @throws RegistryError TOOMANYREQUESTS (429) when the owner, or the registry, is at its cap
   */
  claim(id: string, owner: string): void {
    const counted = this.slots.get(id)
    if (counted) {
      counted.lastUsed = this.clock()
      return
    }
    const owned = (): Set<string> => this.byOwner.get(owner) ?? new Set()
    if (owned().size >= this.limits.perOwner) this.expireIdle(owned())
    if (owned().size >= this.limits.perOwner) {
      throw tooMany(
        `${this.limits.perOwner} upload sessions are open already; complete or cancel one (DELETE its Location)`,
      )
    }
    if (this.slots.size >= this.limits.total) this.expireIdle(this.slots.keys())
    if (this.slots.size >= this.limits.total)
      throw tooMany('the registry has too many open upload sessions; retry later')
    this.slots.set(id, { owner, writers: 0, lastUsed: this.clock() })
    this.byOwner.set(owner, owned().add(id))
  }

  /**
   * Runs `write` (a request writing to the session) with the session counted and kept from
   * expiring until it ends. Without an owner (the registry's own sessions, e.g. sync's) nothing is
   * counted.
   */
  async writing<T>(id: string, owner: string | undefined, write: () => Promise<T>): Promise<T> {
    if (owner !== undefined) this.claim(id, owner)
    const slot = this.slots.get(id)
    if (slot) slot.writers++
    try {
      return await write()
    } finally {
      if (slot) {
        slot.writers--
        slot.lastUsed = this.clock()
      }
    }
  }

  /** The session ended: completed, cancelled or discarded. */
  release(id: string): void {
    const slot = this.slots.get(id)
    if (!slot) return
    this.slots.delete(id)
    const owned = this.byOwner.get(slot.owner)
    owned?.delete(id)
    if (owned?.size === 0) this.byOwner.delete(slot.owner)
  }

  private expireIdle(ids: Iterable<string>): void {
    const cutoff = this.clock() - this.limits.idleMs
    for (const id of [...ids]) {
      const slot = this.slots.get(id)
      if (slot && slot.writers === 0 && slot.lastUsed <= cutoff) this.release(id)
    }
  }
}

const tooMany = (description: string): RegistryError =>
  new RegistryError('TOOMANYREQUESTS', { detail: { description }, headers: { 'Retry-After': '60' } })
