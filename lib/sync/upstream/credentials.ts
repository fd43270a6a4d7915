/**
 * @module
 * Upstream credentials from `credentialsFile`: `{"host[:port]": {"username", "password"}}`, keys
 * without scheme (docs/zot-compatibility.md 5.1). Keys are compared as canonical hosts, so an entry for
 * `docker.io`, `index.docker.io` or `registry-1.docker.io` serves Docker Hub whichever URL the
 * registry entry uses (zot #3795).
 */
import { readFile } from 'node:fs/promises'
import { hostKey } from './hosts'

export interface Credentials {
  username: string
  password: string
}

export type CredentialLookup = (host: string) => Credentials | undefined

function isCredentials(value: unknown): value is Credentials {
  if (typeof value !== 'object' || value === null) return false
  const { username, password } = value as Record<string, unknown>
  return typeof username === 'string' && typeof password === 'string'
}

/** Parses the file's content; entries that are not `{username, password}` are reported. */
export function parseCredentials(text: string, file: string): Map<string, Credentials> {
  const parsed: unknown = JSON.parse(text)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file}: expected a JSON object keyed by registry host`)
  }
  const byHost = new Map<string, Credentials>()
  for (const [host, entry] of Object.entries(parsed)) {
    if (!isCredentials(entry)) throw new Error(`${file}: "${host}" needs string "username" and "password"`)
    byHost.set(hostKey(host), { username: entry.username, password: entry.password })
  }
  return byHost
}

/** Reads `credentialsFile` (none: every upstream is anonymous). */
export async function loadCredentials(file: string | undefined): Promise<CredentialLookup> {
  if (!file) return () => undefined
  const byHost = parseCredentials(await readFile(file, 'utf8'), file)
  return (host) => byHost.get(hostKey(host))
}
