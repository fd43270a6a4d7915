/**
 * @module
 * Users from an htpasswd file (`http.auth.htpasswd.path`): bcrypt `$2a$/$2b$/$2y$` and SHA-crypt
 * `$5$/$6$`, the formats zot accepts (no MD5/apr1, `{SHA}`, crypt or plaintext). Hashes are
 * checked by `password-hash.ts`: off the event loop, a bounded number at a time.
 *
 * - The file is re-read when it changes. Changes are noticed by a throttled `stat` on use, not a
 *   file watcher: editors replace files by rename and Kubernetes swaps secret symlinks, both of
 *   which silently detach `fs.watch`. `has` follows the same file, which is how a user deleted
 *   from it loses their sessions and API keys (user-validity.ts).
 * - An unknown user costs the same as a wrong password: the password is checked against a real
 *   entry of the file (the most common hash settings), and the answer is still "no". Answers
 *   never differ either; `failDelay` and throttling belong to the caller (password-login.ts).
 * - Docker sends Basic credentials on every request, so the outcome of a check is remembered
 *   for a few minutes under an HMAC of the credentials and the stored hash (a changed password
 *   or a reload invalidates it): a client repeating credentials costs one hash, right or wrong.
 *   Concurrent checks of the same credentials share one hash. Failures have their own bounded
 *   memory, so a flood of wrong guesses cannot push out the remembered successes.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync, statSync, type Stats } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { costClass, createHashChecker, unusableHash } from './password-hash'

export interface HtpasswdOptions {
  /** The htpasswd file. */
  path: string
  /** How often (ms) the file is checked for changes, at most; default 1000. */
  checkIntervalMs?: number
  /** How long (ms) the outcome of a check is remembered; default 5 minutes, 0 disables. */
  outcomeCacheMs?: number
  /** Reports lines that are skipped (unsupported hash formats, malformed lines). */
  onWarning?: (message: string, fields: Record<string, unknown>) => void
}

export interface Htpasswd {
  /**
   * True when the user exists and the password matches. Unknown users take as long as others.
   *
   * @throws HashCheckBusyError when too many checks are under way to queue this one
   */
  verify(username: string, password: string): Promise<boolean>
  /**
   * What is known about these credentials without hashing: true or false when they were checked
   * recently (against the entry the file has now), undefined when only `verify` can tell.
   */
  recall(username: string, password: string): Promise<boolean | undefined>
  /** True when the file (as it is now) lists the user. */
  has(username: string): Promise<boolean>
  /** Re-reads the file now if it changed (normally done lazily by the other methods). */
  refresh(force?: boolean): Promise<void>
}

const OUTCOME_CACHE_LIMIT = 1000
/** Used only when the file holds no usable entry, so that unknown users still pay a bcrypt. */
const FALLBACK_DUMMY = '$2b$10$6yEhRRK4DtlYOZyOUcPd9eEoiNV.YAhTmTtyOuDlAX3wG/ZM/5kpK'

interface Parsed {
  entries: Map<string, string>
  /** A real hash with the most common settings; unknown users are checked against it. */
  dummy: string
}

function parse(text: string, warn: HtpasswdOptions['onWarning']): Parsed {
  const entries = new Map<string, string>()
  const classes = new Map<string, { count: number; hash: string }>()
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const colon = line.indexOf(':')
    const username = line.slice(0, colon)
    const hash = line.slice(colon + 1)
    const unusable = colon <= 0 ? 'not user:hash' : unusableHash(hash)
    if (unusable) {
      // Never echo the line: it holds a password hash.
      warn?.('htpasswd line skipped: not user:hash with a usable bcrypt or SHA-crypt hash', {
        line: index + 1,
        username,
        reason: unusable,
      })
      return
    }
    entries.set(username, hash)
    const key = costClass(hash)
    const seen = classes.get(key) ?? { count: 0, hash }
    seen.count++
    classes.set(key, seen)
  })
  let dummy = FALLBACK_DUMMY
  let best = 0
  for (const { count, hash } of classes.values()) {
    if (count > best) [best, dummy] = [count, hash]
  }
  return { entries, dummy }
}

const fingerprint = (stats: Stats): string => `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`

/**
 * Loads an htpasswd file and returns a verifier that follows changes to it.
 *
 * @param options the file and tuning knobs
 * @returns the verifier
 * @throws Error when the file cannot be read at start (a typo must not boot a registry nobody can
 *   log into)
 * @example
 * const users = createHtpasswd({ path: '/etc/zot/htpasswd' })
 * if (await users.verify('alice', password)) ...
 */
export function createHtpasswd(options: HtpasswdOptions): Htpasswd {
  const { path, onWarning } = options
  const checkIntervalMs = options.checkIntervalMs ?? 1000
  const outcomeCacheMs = options.outcomeCacheMs ?? 5 * 60_000
  let parsed = parse(readFileSync(path, 'utf8'), onWarning)
  let seen = fingerprint(statSync(path))
  let checkedAt = Date.now()
  let pending: Promise<void> | undefined
  const hashes = createHashChecker()
  const cacheKey = randomBytes(32)
  const outcomes = { true: new Map<string, number>(), false: new Map<string, number>() }
  const inFlight = new Map<string, Promise<boolean>>()

  async function reload(force: boolean): Promise<void> {
    try {
      const current = fingerprint(await stat(path))
      if (!force && current === seen) return
      parsed = parse(await readFile(path, 'utf8'), onWarning)
      seen = current
    } catch (error) {
      // Fail closed: a file that vanished or became unreadable admits nobody until it is back.
      onWarning?.('htpasswd file unreadable; no htpasswd user can log in', { path, error })
      parsed = parse('', undefined)
      seen = ''
    }
    outcomes.true.clear()
    outcomes.false.clear()
  }

  async function refresh(force = false): Promise<void> {
    // Waiting for a reload under way means nobody is answered from the file it replaces.
    if (!force && Date.now() - checkedAt < checkIntervalMs) return pending
    checkedAt = Date.now()
    pending ??= reload(force).finally(() => (pending = undefined))
    await pending
  }

  /** The credentials and the entry they are checked against (none for an unknown user). */
  const keyOf = (username: string, password: string): string =>
    createHmac('sha256', cacheKey)
      .update(`${username}\0${password}\0${parsed.entries.get(username) ?? ''}`)
      .digest('base64')

  function recalled(key: string): boolean | undefined {
    if ((outcomes.true.get(key) ?? 0) > Date.now()) return true
    if ((outcomes.false.get(key) ?? 0) > Date.now()) return false
    return undefined
  }

  function remember(key: string, ok: boolean): void {
    if (outcomeCacheMs <= 0) return
    const memory = outcomes[`${ok}`]
    if (memory.size >= OUTCOME_CACHE_LIMIT) memory.clear()
    memory.set(key, Date.now() + outcomeCacheMs)
  }

  async function check(username: string, password: string): Promise<boolean> {
    const hash = parsed.entries.get(username)
    if (hash !== undefined) return hashes.check(password, hash)
    await hashes.check(password, parsed.dummy)
    return false
  }

  return {
    refresh,
    async verify(username, password) {
      await refresh()
      const key = keyOf(username, password)
      const known = recalled(key) ?? inFlight.get(key)
      if (known !== undefined) return known
      const checking = check(username, password)
        .then((ok) => {
          remember(key, ok)
          return ok
        })
        .finally(() => inFlight.delete(key))
      inFlight.set(key, checking)
      return checking
    },
    async recall(username, password) {
      await refresh()
      return recalled(keyOf(username, password))
    },
    async has(username) {
      await refresh()
      return parsed.entries.has(username)
    },
  }
}
