/**
 * @module
 * Whom an upload session counts against (UploadQuota): the authenticated user, or for anonymous
 * requests the client's network (`clientNetwork`: IPv6 by /64, so an attacker cannot open a fresh
 * quota with every address it owns).
 */
import type { Context } from 'hono'
import type { AppEnv } from '../context'
import { clientAddress, clientNetwork } from '../client-address'

/** `user:<name>`, or `address:<IPv4>` / `address:<IPv6 /64>` for anonymous requests. */
export function uploadOwner(c: Context<AppEnv>): string {
  const username = c.get('principal')?.username
  if (username) return `user:${username}`
  const address = clientAddress(c)
  if (address === undefined) return 'address:unknown'
  return `address:${clientNetwork(address)}`
}
