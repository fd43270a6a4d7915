/**
 * @module
 * Short-lived upstream credentials from a credential helper (`credentialHelper`: `ecr`, `gcp`,
 * `oauth2`), kept fresh for the registry entry's hosts (docs/sync.md "Credential helpers"). As in
 * zot, the helper is asked at start and again when its credentials near their expiry. Better than
 * zot, which refreshes inside the sync operation that finds them stale and, when the helper
 * fails, logs and carries on with whatever it had (or nothing):
 *
 * - Ahead of time, without waiting: a pull that finds the credentials in their refresh window
 *   starts the refresh and goes on with the current ones, which are still valid.
 * - Single flight: every pull that wants a refresh joins the one under way.
 * - A failed refresh is logged with its cause and fix and retried with backoff (1 s doubling to a
 *   minute), not on every pull; the last good credentials are used until they expire. Once none
 *   are valid, requests to the upstream fail as unavailable (cached content is still served) with
 *   the helper's error, instead of going out anonymously and being refused.
 * - Credentials the upstream refuses before their expiry (revoked, rotated early) are replaced at
 *   the next request, at most once per 10 s.
 */
import type { Logger } from '../../../log/logger'
import type { Credentials } from '../credentials'
import { hostKey } from '../hosts'
import { UpstreamError } from '../upstream-error'

export interface ExpiringCredentials extends Credentials {
  /** When the service stops accepting them (epoch ms). */
  expiresAt: number
}

/** One way of getting temporary credentials: what `ecr.ts`, `gcp.ts` and `oauth2.ts` each export. */
export interface CredentialHelper {
  /** The `credentialHelper` value, naming the helper in logs. */
  readonly name: string
  /** Refresh this long before expiry (at most half the credentials' lifetime). */
  readonly refreshAheadMs: number
  /**
   * Hosts with the same key share one set of credentials: one token serves every URL of the entry
   * (gcp, oauth2), while ECR hands out one per registry host.
   */
  keyOf(host: string): string
  /** Asks the helper's service for fresh credentials for `host` (a canonical host[:port]). */
  fetch(host: string): Promise<ExpiringCredentials>
  /** What the operator can do about `error`, for the log. */
  fixFor(error: unknown): string | undefined
}

const FIRST_RETRY_MS = 1_000
const LONGEST_RETRY_MS = 60_000
/** Credentials are not sent this close to their expiry (at most a quarter of their lifetime). */
const EXPIRY_MARGIN_MS = 10_000
/** Refused credentials are replaced only when at least this old, so a misconfigured upstream that
 * refuses every set costs one fetch per this period, not one per pull. */
const REFUSED_COOLDOWN_MS = 10_000

interface Slot {
  current?: ExpiringCredentials
  fetchedAt: number
  /** Refresh from here on. */
  refreshAt: number
  /** Not sent from here on, so they never expire in flight. */
  usableUntil: number
  pending?: Promise<void>
  failures: number
  /** No new attempt before this after a failure. */
  retryAt: number
  lastError?: string
}

export class RefreshingCredentials {
  private readonly slots = new Map<string, Slot>()
  private readonly hosts: ReadonlySet<string>
  private readonly now: () => number

  /**
   * @param hosts the registry entry's hosts: only they get the credentials, never a redirect target
   */
  constructor(
    private readonly helper: CredentialHelper,
    hosts: Iterable<string>,
    private readonly logger: Logger,
    now?: () => number,
  ) {
    this.hosts = new Set([...hosts].map(hostKey))
    this.now = now ?? Date.now
  }

  /** Starts the first fetch for every host, so a misconfiguration shows in the log at start. */
  prime(): void {
    for (const host of this.hosts) void this.refresh(host, this.slotOf(host)).catch(() => {})
  }

  /**
   * The credentials for `host`, undefined for a host that is not the entry's.
   *
   * @throws UpstreamError `unavailable` when the helper has no valid credentials for it
   */
  async lookup(requested: string): Promise<Credentials | undefined> {
    const host = hostKey(requested)
    if (!this.hosts.has(host)) return undefined
    const slot = this.slotOf(host)
    const now = this.now()
    if (now >= slot.refreshAt && now >= slot.retryAt) {
      const refreshing = this.refresh(host, slot)
      if (!this.usable(slot)) await refreshing
    } else if (!this.usable(slot) && slot.pending) {
      await slot.pending
    }
    const { current } = slot
    if (current && this.usable(slot)) return { username: current.username, password: current.password }
    const retryAfter = Math.max(0, slot.retryAt - this.now())
    throw new UpstreamError(
      'unavailable',
      `the ${this.helper.name} credential helper has no valid credentials for ${host}: ${slot.lastError ?? 'not fetched yet'}`,
      { retryAfter },
    )
  }

  /**
   * The upstream refused what `host` was given (revoked early, rotated): they are dropped and the
   * next lookup waits for new ones, unless they are younger than the cooldown.
   *
   * @returns true when new credentials will be fetched
   */
  refused(requested: string): boolean {
    const host = hostKey(requested)
    if (!this.hosts.has(host)) return false
    const slot = this.slotOf(host)
    if (!slot.current || this.now() - slot.fetchedAt < REFUSED_COOLDOWN_MS) return false
    this.logger.warn(
      `sync: the upstream refused the credentials of the ${this.helper.name} helper; fetching new ones`,
      {
        credentialHelper: this.helper.name,
        host,
      },
    )
    slot.refreshAt = 0
    slot.usableUntil = 0
    return true
  }

  private usable(slot: Slot): boolean {
    return slot.current !== undefined && this.now() < slot.usableUntil
  }

  private slotOf(host: string): Slot {
    const key = this.helper.keyOf(host)
    let slot = this.slots.get(key)
    if (!slot) {
      slot = { fetchedAt: 0, refreshAt: 0, usableUntil: 0, failures: 0, retryAt: 0 }
      this.slots.set(key, slot)
    }
    return slot
  }

  /** Fetches new credentials, or joins the fetch under way; resolves either way (failures are logged). */
  private refresh(host: string, slot: Slot): Promise<void> {
    // Cleared in `finally`, which runs after this assignment even when the fetch fails at once.
    slot.pending ??= this.fetchInto(host, slot).finally(() => {
      slot.pending = undefined
    })
    return slot.pending
  }

  private async fetchInto(host: string, slot: Slot): Promise<void> {
    const { name } = this.helper
    try {
      const fetched = await this.helper.fetch(host)
      const now = this.now()
      const lifetime = Math.max(0, fetched.expiresAt - now)
      const recovered = slot.failures > 0
      slot.current = fetched
      slot.fetchedAt = now
      slot.refreshAt = fetched.expiresAt - Math.min(this.helper.refreshAheadMs, lifetime / 2)
      slot.usableUntil = fetched.expiresAt - Math.min(EXPIRY_MARGIN_MS, lifetime / 4)
      slot.failures = 0
      slot.retryAt = 0
      slot.lastError = undefined
      this.logger.info(
        recovered ? `sync: the ${name} credential helper works again` : `sync: credentials from the ${name} helper`,
        {
          credentialHelper: name,
          host,
          username: fetched.username,
          expiresAt: new Date(fetched.expiresAt).toISOString(),
          refreshAt: new Date(slot.refreshAt).toISOString(),
        },
      )
    } catch (error) {
      slot.failures++
      const retryInMs = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (slot.failures - 1))
      slot.retryAt = this.now() + retryInMs
      slot.lastError = describe(error)
      const fix = this.helper.fixFor(error)
      const fields = {
        credentialHelper: name,
        host,
        error: slot.lastError,
        retryInMs,
        ...(fix && { fix }),
      }
      if (this.usable(slot) && slot.current) {
        this.logger.warn(
          `sync: the ${name} credential helper failed; using the last good credentials until they expire`,
          {
            ...fields,
            lastGoodUntil: new Date(slot.current.expiresAt).toISOString(),
          },
        )
      } else {
        this.logger.error(
          `sync: the ${name} credential helper failed; requests to this upstream fail until it works`,
          fields,
        )
      }
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message
}
