/**
 * @module
 * Users from an htpasswd file (`http.auth.htpasswd.path`): bcrypt `$2a$/$2b$/$2y$` and SHA-crypt
 * `$5$/$6$`, the formats zot accepts (no MD5/apr1, `{SHA}`, crypt or plaintext).
 *
 * - The file is re-read when it changes. Changes are noticed by a throttled `stat` on use, not a
 *   file watcher: editors replace files by rename and Kubernetes swaps secret symlinks, both of
 *   which silently detach `fs.watch`.
 * - An unknown user costs the same as a wrong password: the password is checked against a real
 *   entry of the file (the most common hash settings), and the answer is still "no". Answers
 *   never differ either; `failDelay` belongs to the caller.
 * - Docker sends Basic credentials on every request and bcryptjs needs ~100 ms at cost 10, so a
 *   success is remembered for a few minutes under an HMAC of the credentials and the stored hash
 *   (a changed password or reload invalidates it). Failures are never cached.
 */
import bcrypt from 'bcryptjs'
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync, statSync, type Stats } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { isShaCrypt, verifyShaCrypt } from './sha-crypt'

export interface HtpasswdOptions {
  /** The htpasswd file. */
  path: string
  /** How often (ms) the file is checked for changes, at most; default 1000. */
  checkIntervalMs?: number
  /** How long (ms) a successful check is remembered; default 5 minutes, 0 disables. */
  successCacheMs?: number
  /** Reports lines that are skipped (unsupported hash formats, malformed lines). */
  onWarning?: (message: string, fields: Record<string, unknown>) => void
}

export interface Htpasswd {
  /** True when the user exists and the password matches. Unknown users take as long as others. */
  verify(username: string, password: string): Promise<boolean>
  /** Re-reads the file now if it changed (normally done lazily by `verify`). */
  refresh(force?: boolean): Promise<void>
}

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/
const SUCCESS_CACHE_LIMIT = 1000
/** Used only when the file holds no usable entry, so that unknown users still pay a bcrypt. */
const FALLBACK_DUMMY = '$2b$10$6yEhRRK4DtlYOZyOUcPd9eEoiNV.YAhTmTtyOuDlAX3wG/ZM/5kpK'

/** What a stored hash costs to check: its scheme and work factor, e.g. `2y$10` or `6$rounds=5000`. */
function costClass(hash: string): string {
  const bcryptMatch = BCRYPT.exec(hash)
  if (bcryptMatch) return `bcrypt$${bcryptMatch[1]}`
  return hash.replace(/^\$([56])\$(rounds=\d+\$)?.*$/, '$1$$$2')
}

const isSupported = (hash: string): boolean => BCRYPT.test(hash) || isShaCrypt(hash)

async function checkHash(password: string, hash: string): Promise<boolean> {
  if (BCRYPT.test(hash)) return bcrypt.compare(password, hash)
  if (isShaCrypt(hash)) return verifyShaCrypt(password, hash)
  return false
}

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
    if (colon <= 0 || !isSupported(hash)) {
      // Never echo the line: it holds a password hash.
      warn?.('htpasswd line skipped: not user:hash with a bcrypt or SHA-crypt hash', {
        line: index + 1,
        username,
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

const fingerprint = (stats: Stats): string =>
  `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`

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
  const successCacheMs = options.successCacheMs ?? 5 * 60_000
  let parsed = parse(readFileSync(path, 'utf8'), onWarning)
  let seen = fingerprint(statSync(path))
  let checkedAt = Date.now()
  let pending: Promise<void> | undefined
  const cacheKey = randomBytes(32)
  const successes = new Map<string, number>()

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
    successes.clear()
  }

  async function refresh(force = false): Promise<void> {
    if (!force && Date.now() - checkedAt < checkIntervalMs) return
    checkedAt = Date.now()
    pending ??= reload(force).finally(() => (pending = undefined))
    await pending
  }

  const remembered = (key: string): boolean => (successes.get(key) ?? 0) > Date.now()
  function remember(key: string): void {
    if (successCacheMs <= 0) return
    if (successes.size >= SUCCESS_CACHE_LIMIT) successes.clear()
    successes.set(key, Date.now() + successCacheMs)
  }

  return {
    refresh,
    async verify(username, password) {
      await refresh()
      const hash = parsed.entries.get(username)
      if (hash === undefined) {
        await checkHash(password, parsed.dummy)
        return false
      }
      const key = createHmac('sha256', cacheKey)
        .update(`${username}\0${password}\0${hash}`)
        .digest('base64')
      if (remembered(key)) return true
      const ok = await checkHash(password, hash)
      if (ok) remember(key)
      return ok
    },
  }
}
