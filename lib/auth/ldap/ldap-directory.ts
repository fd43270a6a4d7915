/**
 * @module
 * One LDAP login as zot does it (docs/zot-compatibility.md "ldap"): bind as the search account
 * (`credentialsFile`'s bindDN/bindPassword; anonymously without a password), search `baseDN`
 * for exactly one entry whose `userAttribute` equals the user name (AND `userFilter`), then bind
 * as that entry's DN with the offered password. The groups are the values of
 * `userGroupAttribute` (e.g. `memberOf`), used as group names in `accessControl`.
 *
 * Differences from zot, on purpose:
 * - Each login gets its own connection, closed afterwards. zot shares one connection behind a
 *   lock, so a slow directory queues every login behind the slowest, and a user bind leaves the
 *   shared connection bound as that user. Repeated logins cost no connection at all: the caller
 *   remembers outcomes (ldap-login.ts).
 * - An unreachable directory is reported at once as `LdapUnavailableError` (the caller answers
 *   503); zot retries the connection up to 8 times with growing sleeps (28 s) inside the request.
 * - `userFilter` is AND-ed as a proper filter (zot wraps it in an extra pair of parentheses).
 * The user name is escaped (RFC 4515), so `*`, `(`, `)`, `\` and NUL in it match literally.
 */
import { isIP } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { Client, Filter, InvalidCredentialsError, type Entry } from 'ldapts'
import { LdapUnavailableError } from './ldap-unavailable'

/** The settings of `http.auth.ldap` a login needs (bindDN/bindPassword from `credentialsFile`). */
export interface LdapSettings {
  address: string
  port?: number
  insecure: boolean
  startTLS: boolean
  skipVerify: boolean
  /** PEM text of the CA that signed the directory's certificate; else the system pool. */
  caCert?: string
  baseDN: string
  userAttribute: string
  userFilter?: string
  userGroupAttribute?: string
  subtreeSearch: boolean
  bindDN?: string
  bindPassword?: string
}

export interface LdapDirectory {
  /** The user's groups when the password is right; false for wrong credentials or no such user. */
  login(username: string, password: string): Promise<string[] | false>
}

/** Connecting and each operation; a directory slower than this counts as down. */
const TIMEOUT_MS = 5_000

const DEFAULT_PORT = { ldap: 389, ldaps: 636 } as const

/** The search filter, with the user name escaped. */
export function userSearchFilter(settings: Pick<LdapSettings, 'userAttribute' | 'userFilter'>, username: string) {
  const user = `(${settings.userAttribute}=${Filter.escape(username)})`
  const extra = settings.userFilter?.trim()
  if (!extra) return user
  return `(&${user}${extra.startsWith('(') ? extra : `(${extra})`})`
}

const values = (value: Entry[string] | undefined): string[] => {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  return list.map((item) => (typeof item === 'string' ? item : item.toString('utf8')))
}

export function createLdapDirectory(settings: LdapSettings): LdapDirectory {
  const ldaps = !settings.insecure && !settings.startTLS
  const scheme = ldaps ? 'ldaps' : 'ldap'
  const port = settings.port || DEFAULT_PORT[scheme]
  const tlsOptions: ConnectionOptions = {
    rejectUnauthorized: !settings.skipVerify,
    // SNI names hosts only (RFC 6066); an IP address is still checked against the certificate.
    ...(isIP(settings.address) === 0 && { servername: settings.address }),
    ...(settings.caCert && { ca: settings.caCert }),
  }
  const url = `${scheme}://${isIP(settings.address) === 6 ? `[${settings.address}]` : settings.address}:${port}`

  /** Connects and binds as the search account; any failure means the directory is unusable. */
  async function open(): Promise<Client> {
    const client = new Client({
      url,
      timeout: TIMEOUT_MS,
      connectTimeout: TIMEOUT_MS,
      ...(ldaps && { tlsOptions }),
    })
    try {
      // zot upgrades whenever startTLS is set, `insecure` or not (ldap.go); never send less.
      if (settings.startTLS) await client.startTLS(tlsOptions)
      // Without a password zot binds "unauthenticated", which directories treat as anonymous.
      if (settings.bindDN && settings.bindPassword) await client.bind(settings.bindDN, settings.bindPassword)
      return client
    } catch (error) {
      await client.unbind().catch(() => undefined)
      throw new LdapUnavailableError(`LDAP ${url}: ${(error as Error).message}`)
    }
  }

  async function findUser(client: Client, username: string): Promise<Entry | undefined> {
    const attributes = ['dn', ...(settings.userGroupAttribute ? [settings.userGroupAttribute] : [])]
    try {
      const { searchEntries } = await client.search(settings.baseDN, {
        scope: settings.subtreeSearch ? 'sub' : 'one',
        filter: userSearchFilter(settings, username),
        attributes,
        // Two are enough to tell "ambiguous" (refused, as in zot) from "exactly one".
        sizeLimit: 2,
      })
      return searchEntries.length === 1 ? searchEntries[0] : undefined
    } catch (error) {
      if ((error as Error).name === 'SizeLimitExceededError') return undefined
      throw new LdapUnavailableError(`LDAP search in ${settings.baseDN}: ${(error as Error).message}`)
    }
  }

  return {
    async login(username, password) {
      // An empty password is an "unauthenticated bind" that directories accept (RFC 4513 5.1.2).
      if (password === '' || username === '') return false
      const client = await open()
      try {
        const entry = await findUser(client, username)
        if (!entry) return false
        try {
          await client.bind(entry.dn, password)
        } catch (error) {
          if (error instanceof InvalidCredentialsError) return false
          throw new LdapUnavailableError(`LDAP bind as ${entry.dn}: ${(error as Error).message}`)
        }
        const groups = settings.userGroupAttribute ? values(entry[settings.userGroupAttribute]) : []
        return [...new Set(groups)].sort()
      } finally {
        await client.unbind().catch(() => undefined)
      }
    },
  }
}
