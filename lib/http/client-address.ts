/**
 * @module
 * Who is on the other end of a request, for logs and for the limits counted per client (login
 * throttling, anonymous upload sessions): the peer's address, and the network it counts as.
 */
import type { Context } from 'hono'
import { getConnInfo } from 'hono/bun'
import type { AppEnv } from './context'

/** The peer's address (the proxy's, behind one); undefined in-process (tests). */
export function clientAddress(c: Context<AppEnv>): string | undefined {
  // c.env is Bun's server when running under Bun.serve; in-process tests have none.
  if (!c.env) return undefined
  try {
    return getConnInfo(c).remote.address
  } catch {
    return undefined
  }
}

/**
 * The network a client address counts as in per-client limits: IPv4 as is (also when written as
 * IPv4-mapped IPv6), IPv6 by its /64 — the block one subscriber gets, so an attacker cannot
 * start afresh with every address it owns. Zone ids are dropped.
 */
export function clientNetwork(address: string): string {
  const plain = address.replace(/%.*$/, '')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain)
  if (mapped) return mapped[1]!
  if (!plain.includes(':')) return plain
  const [head = '', tail] = plain.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0')
  const groups = [...left, ...zeros, ...right].slice(0, 4)
  return `${groups.map((group) => Number.parseInt(group, 16).toString(16)).join(':')}::/64`
}
