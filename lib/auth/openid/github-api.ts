/**
 * @module
 * The GitHub side of a `github` login (docs/zot-compatibility.md 3.3, 4.2): where GitHub.com or a GitHub
 * Enterprise Server keeps its OAuth and REST endpoints, and whom an access token belongs to. The
 * user name is the primary verified email (as zot); the groups are the org logins plus
 * `<org login>/<team slug>` for each team, which needs the `read:org` scope.
 */
import type { OpenIdIdentity } from './openid-provider'
import { OpenIdLoginError } from './openid-provider'

export interface GitHubEndpoints {
  authorization: string
  token: string
  /** REST API base, without a trailing slash. */
  api: string
}

const GITHUB = 'https://github.com'
const GITHUB_API = 'https://api.github.com'
/** GitHub's largest page; users in more than 30 orgs or teams would lose groups at the default. */
const PAGE_SIZE = 100
/** A bound on pagination, so a misbehaving server cannot keep a login busy forever. */
const MAX_PAGES = 10
const REQUEST_TIMEOUT_MS = 30_000

/**
 * The endpoints of a `github` provider entry. `authurl` and `tokenurl` come from the decoded
 * config, which fills them (GitHub.com, or the token URL on `authurl`'s host: lib/config/schema);
 * the REST API is `https://api.github.com` for GitHub.com and `<origin>/api/v3` for GitHub
 * Enterprise.
 *
 * @throws Error when the entry was not decoded (no `authurl`/`tokenurl`), TypeError when `authurl`
 * is not an absolute URL (a config check reports it first)
 * @example
 * githubEndpoints({ authurl: 'https://ghe.example.com/login/oauth/authorize', tokenurl }).api
 * // 'https://ghe.example.com/api/v3'
 */
export function githubEndpoints(options: { authurl?: string; tokenurl?: string }): GitHubEndpoints {
  const { authurl, tokenurl } = options
  if (!authurl || !tokenurl) throw new Error('the github provider has no authurl/tokenurl: decode its config first')
  const origin = new URL(authurl).origin
  return {
    authorization: authurl,
    token: tokenurl,
    api: origin === GITHUB ? GITHUB_API : `${origin}/api/v3`,
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

const records = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value)
    ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && !!item)
    : []

/** The `rel="next"` target of a Link header. */
const nextPage = (link: string | null): string | undefined =>
  link
    ?.split(',')
    .map((part) => /<([^>]+)>\s*;\s*rel="?next"?/.exec(part)?.[1])
    .find(Boolean)

/** A REST client for one access token. */
function restClient(api: string, accessToken: string) {
  const apiOrigin = new URL(api).origin

  async function get(url: string): Promise<{ body: unknown; next: string | undefined }> {
    const response = await fetch(url, {
      headers: {
        Authorization: `Bearer ${accessToken}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
        // GitHub refuses API requests without a User-Agent.
        'User-Agent': 'zot-bun',
      },
      redirect: 'error',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    if (!response.ok) {
      throw new OpenIdLoginError(`GitHub ${new URL(url).pathname}: HTTP ${response.status}`)
    }
    const next = nextPage(response.headers.get('Link'))
    const body: unknown = await response.json()
    // The token goes only to the API's own origin, whatever a Link header says.
    return { body, next: next && new URL(next).origin === apiOrigin ? next : undefined }
  }

  return {
    one: async (path: string): Promise<unknown> => (await get(`${api}${path}`)).body,
    async all(path: string): Promise<Record<string, unknown>[]> {
      const items: Record<string, unknown>[] = []
      let url: string | undefined = `${api}${path}?per_page=${PAGE_SIZE}`
      for (let page = 0; url && page < MAX_PAGES; page++) {
        const { body, next } = await get(url)
        items.push(...records(body))
        url = next
      }
      return items
    },
  }
}

/**
 * Who an access token belongs to.
 *
 * @throws OpenIdLoginError when the API refuses, or the account has no verified primary email
 * @example
 * const { username, groups } = await githubIdentity('https://api.github.com', tokens.access_token)
 */
export async function githubIdentity(api: string, accessToken: string): Promise<OpenIdIdentity> {
  const rest = restClient(api, accessToken)
  const [user, emails, orgs, teams] = await Promise.all([
    rest.one('/user'),
    rest.all('/user/emails'),
    rest.all('/user/orgs'),
    rest.all('/user/teams'),
  ])
  const primary = emails.find((email) => email.primary === true && email.verified === true)
  const username = text(primary?.email)
  if (!username) {
    const login = records([user])[0]?.login
    throw new OpenIdLoginError(`GitHub user ${String(login)} has no verified primary email`)
  }
  const groups = new Set<string>()
  for (const org of orgs) {
    const login = text(org.login)
    if (login) groups.add(login)
  }
  for (const team of teams) {
    const org = text(records([team.organization])[0]?.login)
    const slug = text(team.slug)
    if (org && slug) groups.add(`${org}/${slug}`)
  }
  return { username, groups: [...groups].sort() }
}
