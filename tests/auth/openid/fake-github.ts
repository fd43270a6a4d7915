/**
 * @module
 * A fake GitHub (Enterprise layout: REST under `/api/v3`) on 127.0.0.1 for the login tests, as
 * strict as the real one where it matters: the authorize endpoint checks the client and the
 * registered redirect URI and redirects back with a one-time code; the token endpoint checks the
 * client secret, the code, the redirect URI and the PKCE verifier (errors as 200 `{"error"}`, as
 * GitHub does); the four API endpoints check the bearer token and paginate with Link headers.
 */
import { afterAll } from 'bun:test'
import { createHash, randomUUID } from 'node:crypto'

export interface GitHubAccount {
  login: string
  emails: { email: string; primary: boolean; verified: boolean }[]
  orgs: string[]
  /** `[org login, team slug]` pairs. */
  teams: [string, string][]
  /** A Link `next` the teams endpoint announces (to check where the token may go). */
  teamsNext?: string
}

export interface FakeGitHubOptions {
  clientId: string
  clientSecret: string
  redirectUri: string
}

interface Grant {
  login: string
  challenge: string
  redirectUri: string
}

export interface FakeGitHub {
  /** `http://127.0.0.1:<port>` */
  origin: string
  authurl: string
  tokenurl: string
  accounts: Map<string, GitHubAccount>
  /** Who is signed in at the fake: the authorize endpoint logs this account in. */
  signedIn: string
  /** Every request the fake received, in order, as `METHOD path`. */
  requests: string[]
  /** User-Agent headers of the API requests. */
  userAgents: string[]
}

/** GitHub's page size when `per_page` asks for more, kept small so pagination is exercised. */
const MAX_PAGE = 2

const json = (body: unknown, headers: Record<string, string> = {}): Response => Response.json(body, { headers })

function paginate(request: URL, items: unknown[], next?: string): Response {
  const size = Math.min(Number(request.searchParams.get('per_page') ?? 30), MAX_PAGE)
  const page = Number(request.searchParams.get('page') ?? 1)
  const following = new URL(request)
  following.searchParams.set('page', String(page + 1))
  const target = page * size < items.length ? following.toString() : next
  const link = target && `<${target}>; rel="next"`
  return json(items.slice((page - 1) * size, page * size), link ? { Link: link } : {})
}

/** Starts the fake; it stops by itself after the test file. */
export function startFakeGitHub(options: FakeGitHubOptions): FakeGitHub {
  const codes = new Map<string, Grant>()
  const tokens = new Map<string, string>()

  function authorize(url: URL): Response {
    const query = url.searchParams
    if (query.get('client_id') !== options.clientId) {
      return new Response('bad client', { status: 404 })
    }
    if (query.get('redirect_uri') !== options.redirectUri) {
      return new Response('redirect_uri mismatch', { status: 400 })
    }
    if (query.get('code_challenge_method') !== 'S256') {
      return new Response('no PKCE', { status: 400 })
    }
    const code = randomUUID()
    const challenge = query.get('code_challenge') ?? ''
    codes.set(code, { login: fake.signedIn, challenge, redirectUri: options.redirectUri })
    const back = new URL(options.redirectUri)
    back.searchParams.set('code', code)
    back.searchParams.set('state', query.get('state') ?? '')
    return Response.redirect(back.toString(), 302)
  }

  async function token(request: Request): Promise<Response> {
    if (!request.headers.get('Accept')?.includes('application/json')) {
      return new Response('access_token=form-encoded&token_type=bearer')
    }
    const form = new URLSearchParams(await request.text())
    const client = [form.get('client_id'), form.get('client_secret')]
    if (client[0] !== options.clientId || client[1] !== options.clientSecret) {
      return json({ error: 'incorrect_client_credentials' })
    }
    const grant = codes.get(form.get('code') ?? '')
    codes.delete(form.get('code') ?? '')
    const verifier = form.get('code_verifier') ?? ''
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    if (!grant || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge) {
      return json({ error: 'bad_verification_code' })
    }
    const accessToken = `gho_${randomUUID().replaceAll('-', '')}`
    tokens.set(accessToken, grant.login)
    return json({ access_token: accessToken, token_type: 'bearer', scope: 'read:org,user:email' })
  }

  function api(request: Request, url: URL): Response {
    fake.userAgents.push(request.headers.get('User-Agent') ?? '')
    const bearer = /^Bearer (.+)$/.exec(request.headers.get('Authorization') ?? '')?.[1]
    const account = fake.accounts.get(tokens.get(bearer ?? '') ?? '')
    if (!account) return Response.json({ message: 'Bad credentials' }, { status: 401 })
    switch (url.pathname) {
      case '/api/v3/user':
        return json({ login: account.login, id: 1, type: 'User', email: null })
      case '/api/v3/user/emails':
        return paginate(url, account.emails)
      case '/api/v3/user/orgs':
        return paginate(
          url,
          account.orgs.map((login) => ({ login, id: 2 })),
        )
      case '/api/v3/user/teams':
        return paginate(
          url,
          account.teams.map(([org, slug]) => ({ slug, name: slug, organization: { login: org } })),
          account.teamsNext,
        )
      default:
        return new Response('not found', { status: 404 })
    }
  }

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      fake.requests.push(`${request.method} ${url.pathname}`)
      if (url.pathname === '/login/oauth/authorize') return authorize(url)
      if (url.pathname === '/login/oauth/access_token' && request.method === 'POST') {
        return token(request)
      }
      return api(request, url)
    },
  })
  afterAll(() => server.stop(true))
  const origin = `http://127.0.0.1:${server.port}`
  const fake: FakeGitHub = {
    origin,
    authurl: `${origin}/login/oauth/authorize`,
    tokenurl: `${origin}/login/oauth/access_token`,
    accounts: new Map(),
    signedIn: '',
    requests: [],
    userAgents: [],
  }
  return fake
}
