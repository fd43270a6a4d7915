/**
 * @module
 * Whom an upload session counts against (UploadQuota): the authenticated user, or for anonymous
 * requests the client's network. IPv6 clients are grouped by /64, the block one subscriber gets,
 * so an attacker cannot open a fresh quota with every address it owns.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../context'
import { clientAddress } from '../middleware/request-log'

/** `user:<name>`, or `address:<IPv4>` / `address:<IPv6 /64>` for anonymous requests. */
export function uploadOwner(c: Context<AppEnv>): string {
  const username = c.get('principal')?.username
  if (username) return `user:${username}`
  const address = clientAddress(c)
  if (address === undefined) return 'address:unknown'
  return `address:${address.includes('.') ? address.slice(address.lastIndexOf(':') + 1) : ipv6Network(address)}`
}

/** The /64 network of an IPv6 address (`2001:db8:0:1::5` -> `2001:db8:0:1::/64`). */
function ipv6Network(address: string): string {
  const [head = '', tail] = address.split('%')[0]!.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`
}
