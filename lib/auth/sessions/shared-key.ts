/**
 * @module
 * zot's `http.auth.sessionDriver` (`local`, or `redis` so that replicas share sessions): here
 * sessions are sealed cookies and need no server-side store; what replicas must share is the
 * sealing key, and logouts, which already live in the registry's state. So with a session driver
 * and no `sessionKeysFile`, the key is made once and kept with the registry's data
 * (`_zot/session-key.json`): every replica on the same storage accepts the same sessions, and a
 * restart keeps them. Whoever can read the storage can read the key, as whoever can read zot's
 * Redis can read its sessions (docs/security.md).
 */
import { randomBytes } from 'node:crypto'
import type { StateStore } from '../../registry/storage/state-store'
import { statePaths } from '../../registry/layout'
import type { SessionKeys } from './seal'

const parse = (data: Uint8Array): SessionKeys | undefined => {
  try {
    const { hashKey } = JSON.parse(new TextDecoder().decode(data)) as { hashKey?: unknown }
    return typeof hashKey === 'string' && hashKey.length >= 32 ? { hashKey } : undefined
  } catch {
    return undefined
  }
}

/** The session key every replica on this storage shares, made by the first that needs it. */
export async function sharedSessionKeys(state: StateStore): Promise<SessionKeys> {
  const path = statePaths.sessionKey
  const existing = await state.read(path)
  const known = existing && parse(existing)
  if (known) return known
  const keys = { hashKey: randomBytes(32).toString('base64url') }
  const made = JSON.stringify(keys)
  if (!state.conditional) {
    await state.write(path, made)
    return keys
  }
  // Two replicas starting together: one creation wins, the other reads the winner's key.
  if (await state.conditional.write(path, made, undefined)) return keys
  const winner = await state.read(path)
  const key = winner && parse(winner)
  if (!key) throw new Error(`${path} exists but holds no usable session key; delete it to make a new one`)
  return key
}
