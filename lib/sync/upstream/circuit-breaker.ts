/**
 * @module
 * A per-upstream circuit breaker (verdaccio's `max_fails`/`fail_timeout`, Nexus "auto-block"):
 * after repeated failures, or one expensive one (a timeout) or an explicit "come back later"
 * (429 with Retry-After), the upstream is skipped for a cool-down, so a dead upstream costs one
 * timeout per window instead of one per pull. When the cool-down ends one request probes; its
 * success closes the circuit, its failure doubles the cool-down (up to a cap).
 */
export interface CircuitBreakerOptions {
  /** Consecutive ordinary failures that open the circuit. */
  failureThreshold?: number
  /** First cool-down (ms). */
  cooldown?: number
  /** Longest cool-down (ms), also the cap on a Retry-After we honour. */
  maxCooldown?: number
  now?: () => number
}

export type FailureKind = 'error' | 'timeout' | 'rate-limited'

export class CircuitBreaker {
  private failures = 0
  private openUntil = 0
  private currentCooldown: number
  private probing = false
  private readonly threshold: number
  private readonly baseCooldown: number
  private readonly maxCooldown: number
  private readonly now: () => number

  constructor(options: CircuitBreakerOptions = {}) {
    this.threshold = options.failureThreshold ?? 3
    this.baseCooldown = options.cooldown ?? 10_000
    this.maxCooldown = options.maxCooldown ?? 5 * 60_000
    this.currentCooldown = this.baseCooldown
    this.now = options.now ?? Date.now
  }

  /** Whether a request may go out now; claims the probe slot once a cool-down is over. */
  tryAcquire(): boolean {
    if (this.openUntil === 0) return true
    if (this.now() < this.openUntil || this.probing) return false
    this.probing = true
    return true
  }

  /** Milliseconds until the upstream may be tried again (0 when closed). */
  remaining(): number {
    return this.openUntil === 0 ? 0 : Math.max(0, this.openUntil - this.now())
  }

  /**
   * The upstream answered, but the outcome is not settled yet (a body still to come): the
   * circuit closes, while consecutive failures keep counting until `success`, so bodies that
   * keep breaking after good headers open it too.
   */
  answered(): void {
    this.openUntil = 0
    this.probing = false
  }

  success(): void {
    this.failures = 0
    this.openUntil = 0
    this.probing = false
    this.currentCooldown = this.baseCooldown
  }

  failure(kind: FailureKind, retryAfter?: number): void {
    this.failures++
    const wasProbe = this.probing
    this.probing = false
    if (retryAfter !== undefined && retryAfter > 0) return this.open(Math.min(retryAfter, this.maxCooldown))
    if (wasProbe) return this.open(Math.min(this.currentCooldown * 2, this.maxCooldown))
    if (kind !== 'error' || this.failures >= this.threshold) this.open(this.currentCooldown)
  }

  private open(cooldown: number): void {
    this.currentCooldown = cooldown
    this.openUntil = this.now() + cooldown
  }
}
