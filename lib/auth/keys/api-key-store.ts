/**
 * @module
 * API keys (docs/zot-compatibility.md 4.3), persisted through the registry's state store so they survive
 * restarts and, on S3, live in the bucket (zot issue #2591). Paths: layout.ts's `statePaths`.
 *
 * - Only the SHA-256 of a key is stored; the key itself is shown once, at creation.
 * - A key works only with its owner's user name, until its expiration date, and only while its
 *   owner still exists (`ownerExists`, user-validity.ts: an htpasswd user deleted from the file
 *   loses their keys at once, though the records stay until revoked).
 * - `lastUsed` is recorded at most once a minute per key: a `docker pull` makes dozens of
 *   requests and each would otherwise be a storage write.
 * - Successful lookups are cached for a few seconds for the same reason; a key deleted on this
 *   replica stops working at once, one deleted on another replica within `cacheMs`.
 */
import { statePaths, type StatePath } from '../../registry/layout'
import type { StateStore } from '../../registry/registry'
import { generateApiKey, hashApiKey, looksLikeApiKey } from './api-key-format'
import type { ApiKeyVerifier, KeyLogin } from '../authenticate'
import { parseKeyScope, parseKeyScopes, type KeyScope } from './key-scope'
import type { UserGroups } from '../users/user-groups'

/** zot's zero `time.Time`, which it returns for "never" and "no expiration". */
export const ZERO_TIME = '0001-01-01T00:00:00Z'

/** A key as zot's API returns it (without the secret). */
export interface ApiKeyDetails {
  uuid: string
  label: string
  scopes: string[]
  createdAt: string
  expirationDate: string
  isExpired: boolean
  lastUsed: string
  creatorUa: string
  generatedBy: 'manual'
}

export interface NewApiKey {
  label?: string
  /** Scope strings, already validated with `parseKeyScope`. */
  scopes?: string[]
  expirationDate?: Date
  creatorUa?: string
}

export interface ApiKeyStore extends ApiKeyVerifier {
  /** Creates a key; the returned `apiKey` is the only time the secret exists outside the client. */
  create(username: string, input: NewApiKey): Promise<ApiKeyDetails & { apiKey: string }>
  list(username: string): Promise<ApiKeyDetails[]>
  /** Deletes one of the user's keys; false when the user has no key with that id. */
  remove(username: string, uuid: string): Promise<boolean>
}

export interface ApiKeyStoreOptions {
  state: StateStore
  /** Groups a key acts with: those of its owner's last interactive login. */
  userGroups: UserGroups
  /** Whether a key's owner still exists in a configured source; checked at every use. */
  ownerExists: (username: string) => Promise<boolean>
  /** How long a successful lookup is trusted (ms); default 10 s. */
  cacheMs?: number
  /** Minimum interval between `lastUsed` writes per key (ms); default 60 s. */
  touchIntervalMs?: number
  /** Most keys a user may hold; default 100. */
  maxKeysPerUser?: number
  now?: () => Date
  /** Told about failures of background work (recording `lastUsed`). */
  onError?: (message: string, fields: Record<string, unknown>) => void
}

interface StoredKey {
  uuid: string
  username: string
  hash: string
  label: string
  scopes: string[]
  createdAt: string
  /** ISO date, or null for keys that never expire. */
  expirationDate: string | null
  creatorUa: string
}

interface CachedKey {
  record: StoredKey
  scopes: KeyScope[]
  until: number
}

/** Thrown by `create` for input zot answers with 400. */
export class ApiKeyInputError extends Error {
  override name = 'ApiKeyInputError'
}

const decoder = new TextDecoder()

/** Reads JSON at a path, or undefined when there is nothing there. */
async function readJson<T>(state: StateStore, path: StatePath): Promise<T | undefined> {
  const stored = await state.read(path)
  return stored && (JSON.parse(decoder.decode(stored)) as T)
}

function validateScopes(scopes: readonly string[]): void {
  try {
    parseKeyScopes(scopes)
  } catch (error) {
    throw new ApiKeyInputError((error as Error).message)
  }
}

/**
 * Creates the API-key store on the registry's state store.
 *
 * @example
 * const keys = createApiKeyStore({ state: registry.state, userGroups, ownerExists: validity.exists })
 * const { apiKey } = await keys.create('alice', { label: 'ci', scopes: ['ci/**:read,create'] })
 * await keys.verify('alice', apiKey) // { username: 'alice', groups: [...], scopes: [...] }
 */
export function createApiKeyStore(options: ApiKeyStoreOptions): ApiKeyStore {
  const { state, userGroups, ownerExists } = options
  const cacheMs = options.cacheMs ?? 10_000
  const touchIntervalMs = options.touchIntervalMs ?? 60_000
  const maxKeys = options.maxKeysPerUser ?? 100
  const now = options.now ?? (() => new Date())
  const cache = new Map<string, CachedKey>()
  const touched = new Map<string, number>()

  const isExpired = (record: StoredKey): boolean =>
    record.expirationDate !== null && new Date(record.expirationDate).getTime() <= now().getTime()

  async function lastUsed(uuid: string): Promise<string> {
    const stored = await state.read(statePaths.keyLastUsed(uuid))
    return (stored && decoder.decode(stored).trim()) || ZERO_TIME
  }

  async function details(record: StoredKey): Promise<ApiKeyDetails> {
    return {
      uuid: record.uuid,
      label: record.label,
      scopes: record.scopes,
      createdAt: record.createdAt,
      expirationDate: record.expirationDate ?? ZERO_TIME,
      isExpired: isExpired(record),
      lastUsed: await lastUsed(record.uuid),
      creatorUa: record.creatorUa,
      generatedBy: 'manual',
    }
  }

  /**
   * A stored key's scopes, or undefined when they no longer parse: a key created before the scope
   * limits (or by zot, which never checked scopes) may hold one that is refused today. Such a key
   * works for nothing, rather than for everything or with a 500; its owner re-creates it.
   */
  function storedScopes(record: StoredKey): KeyScope[] | undefined {
    try {
      return record.scopes.map(parseKeyScope)
    } catch (error) {
      options.onError?.('API key refused: a stored scope breaks the scope limits; re-create the key', {
        uuid: record.uuid,
        username: record.username,
        reason: (error as Error).message,
      })
      return undefined
    }
  }

  async function lookup(hash: string): Promise<CachedKey | undefined> {
    const cached = cache.get(hash)
    if (cached && cached.until > Date.now()) return cached
    cache.delete(hash)
    const pointer = await readJson<{ username: string; uuid: string }>(state, statePaths.keyHash(hash))
    const record = pointer && (await readJson<StoredKey>(state, statePaths.keyRecord(pointer.username, pointer.uuid)))
    if (!record || record.hash !== hash) return undefined
    const scopes = storedScopes(record)
    if (!scopes) return undefined
    const entry = { record, scopes, until: Date.now() + cacheMs }
    cache.set(hash, entry)
    return entry
  }

  function touch(uuid: string): void {
    const at = now()
    if (at.getTime() - (touched.get(uuid) ?? 0) < touchIntervalMs) return
    touched.set(uuid, at.getTime())
    state.write(statePaths.keyLastUsed(uuid), at.toISOString()).catch((error: unknown) => {
      options.onError?.('could not record API key use', { uuid, error })
    })
  }

  async function records(username: string): Promise<StoredKey[]> {
    const names = (await state.list(statePaths.keyRecords(username))).filter((name) => name.endsWith('.json'))
    const found = await Promise.all(
      names.map((name) => readJson<StoredKey>(state, statePaths.keyRecord(username, name.slice(0, -5)))),
    )
    return found
      .filter((record): record is StoredKey => record !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  }

  return {
    async verify(username: string, key: string): Promise<KeyLogin | undefined> {
      if (!looksLikeApiKey(key)) return undefined
      const entry = await lookup(hashApiKey(key))
      if (!entry || entry.record.username !== username || isExpired(entry.record)) return undefined
      if (!(await ownerExists(username))) return undefined
      touch(entry.record.uuid)
      return { username, groups: await userGroups.get(username), scopes: entry.scopes }
    },

    async create(username, input) {
      const expiration = input.expirationDate
      if (expiration && expiration.getTime() <= now().getTime()) {
        throw new ApiKeyInputError('expirationDate is in the past')
      }
      validateScopes(input.scopes ?? [])
      if ((await records(username)).length >= maxKeys) {
        throw new ApiKeyInputError(`at most ${maxKeys} API keys per user`)
      }
      const apiKey = generateApiKey()
      const record: StoredKey = {
        uuid: crypto.randomUUID(),
        username,
        hash: hashApiKey(apiKey),
        label: input.label ?? '',
        scopes: input.scopes ?? [],
        createdAt: now().toISOString(),
        expirationDate: expiration ? expiration.toISOString() : null,
        creatorUa: input.creatorUa ?? '',
      }
      // The record first, the lookup entry last: a crash in between leaves a listed, revocable,
      // unusable key, never a usable key its owner cannot see.
      await state.write(statePaths.keyRecord(username, record.uuid), JSON.stringify(record))
      await state.write(statePaths.keyHash(record.hash), JSON.stringify({ username, uuid: record.uuid }))
      return { ...(await details(record)), apiKey }
    },

    async list(username) {
      return Promise.all((await records(username)).map(details))
    },

    async remove(username, uuid) {
      if (!/^[0-9a-f-]{36}$/.test(uuid)) return false
      const record = await readJson<StoredKey>(state, statePaths.keyRecord(username, uuid))
      if (!record) return false
      // The lookup entry first: once it is gone the key no longer works, whatever happens next.
      await state.delete(statePaths.keyHash(record.hash))
      cache.delete(record.hash)
      await state.delete(statePaths.keyRecord(username, uuid))
      await state.delete(statePaths.keyLastUsed(uuid))
      touched.delete(uuid)
      return true
    },
  }
}
