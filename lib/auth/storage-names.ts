/**
 * @module
 * Where auth state lives in the registry's storage driver (so on S3 it lives in the bucket and
 * survives restarts: zot issue #2591). `_zot` cannot collide with a repository: repository names
 * start with a lowercase letter or digit. User names may contain anything (`/`, `..`, e-mail
 * addresses), so they are base64url-encoded into one safe path segment.
 */

const ROOT = '_zot'

const userSegment = (username: string): string =>
  Buffer.from(username, 'utf8').toString('base64url')

export const storageNames = {
  /** One record per key, immutable after creation. */
  keyRecord: (username: string, uuid: string): string =>
    `${ROOT}/apikeys/users/${userSegment(username)}/${uuid}.json`,
  keyRecords: (username: string): string => `${ROOT}/apikeys/users/${userSegment(username)}`,
  /** Lookup from the hash a client's key produces to its owner and record. */
  keyHash: (hash: string): string => `${ROOT}/apikeys/hashes/${hash}.json`,
  /** Kept apart from the record so that frequent updates never rewrite (or resurrect) it. */
  keyLastUsed: (uuid: string): string => `${ROOT}/apikeys/last-used/${uuid}`,
  /**
   * Groups of the user's last OpenID login (what API keys and sessions act with), and the
   * providers they logged in with.
   */
  userGroups: (username: string): string => `${ROOT}/users/${userSegment(username)}.json`,
  /**
   * When the user last logged out: sessions issued before are dead. A file of its own, so that a
   * login recording groups on one replica cannot overwrite a logout written on another.
   */
  userLogout: (username: string): string => `${ROOT}/users/${userSegment(username)}.logout`,
} as const
