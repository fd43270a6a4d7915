/**
 * @module
 * A small Docker token server (https://distribution.github.io/distribution/spec/auth/token/) for
 * the bearer tests, signing with jose: `GET /token?service=&scope=...` with optional Basic
 * credentials (podman, skopeo, docker), or `POST /token` with a form (containerd's
 * `grant_type=password`). Each requested scope is granted as far as `grant(user, type, name)`
 * allows; the tokens are RS256 with the signing certificate in the registry's `cert` (ours) and
 * in the token's `x5c` header, which Debian's docker-registry checks against `rootcertbundle`.
 */
import { afterAll } from 'bun:test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { importPKCS8, SignJWT } from 'jose'
import { makeSelfSignedCertificate } from '../tls/certificates'
import { tempDirectory } from '../temp'

/** The actions `user` (empty: anonymous) may have on a resource. */
export type Grant = (user: string, type: string, name: string) => string[]

const ISSUER = 'token-server'

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`: the registry's `realm`. */
  realm: string
  /** The audience of the tokens: the registry's `service`. */
  service: string
  /** The tokens' `iss`, which docker-registry's `issuer` must name. */
  issuer: string
  /** The certificate whose key signs the tokens: the registry's `cert`. */
  cert: string
  /** Signs a token with arbitrary claims (forged scopes, expiry...). */
  sign(claims: Record<string, unknown>, options?: { expiresIn?: string }): Promise<string>
  /** A token for `scopes` as the server would issue it to `user`. */
  token(user: string, scopes: string[]): Promise<string>
  /** Every request the server answered, as `METHOD user scope...`. */
  requests: string[]
}

const parseScope = (scope: string) => {
  const last = scope.lastIndexOf(':')
  const first = scope.indexOf(':')
  if (first < 0 || last <= first) return undefined
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') }
}

/** A key that signs instead of the certificate's, named in the tokens' `kid` (AWS Secrets Manager keys). */
export interface TokenSigner {
  alg: string
  kid: string
  privateKey: CryptoKey
}

export async function startTokenServer(options: {
  service: string
  users: Record<string, string>
  grant: Grant
  /** Asked at each token; without it, tokens are RS256 by the certificate's key with `x5c`. */
  signer?: () => TokenSigner
}): Promise<TokenServer> {
  const directory = await tempDirectory('token-server')
  const files = { key: join(directory, 'signing.key'), cert: join(directory, 'signing.crt') }
  await makeSelfSignedCertificate({ ...files, commonName: 'token-server' })
  const privateKey = await importPKCS8(await readFile(files.key, 'utf8'), 'RS256')
  const certificateDer = (await readFile(files.cert, 'utf8')).replace(/-----[^-]+-----|\s/g, '')
  const requests: string[] = []

  const sign = (claims: Record<string, unknown>, { expiresIn = '5m' } = {}) => {
    const signer = options.signer?.()
    return new SignJWT({ aud: options.service, ...claims })
      .setProtectedHeader(
        signer ? { alg: signer.alg, typ: 'JWT', kid: signer.kid } : { alg: 'RS256', typ: 'JWT', x5c: [certificateDer] },
      )
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(signer?.privateKey ?? privateKey)
  }

  const token = (user: string, scopes: string[]) => {
    const access = scopes.flatMap((scope) => {
      const parsed = parseScope(scope)
      if (!parsed) return []
      const allowed = options.grant(user, parsed.type, parsed.name)
      const actions = parsed.actions.filter((action) => allowed.includes(action))
      return actions.length > 0 ? [{ ...parsed, actions }] : []
    })
    return sign({ sub: user, access })
  }

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      const form = request.method === 'POST' ? new URLSearchParams(await request.text()) : undefined
      const scopes = [...url.searchParams.getAll('scope'), ...(form?.getAll('scope') ?? [])].flatMap((scope) =>
        scope.split(' '),
      )
      let user = ''
      const basic = /^Basic (.+)$/i.exec(request.headers.get('Authorization') ?? '')?.[1]
      const [name, password] = basic
        ? Buffer.from(basic, 'base64').toString().split(':')
        : [form?.get('username') ?? undefined, form?.get('password') ?? undefined]
      if (name !== undefined) {
        if (options.users[name] !== password) return new Response('bad credentials', { status: 401 })
        user = name
      }
      requests.push([request.method, user || '-', ...scopes].join(' '))
      const issued = await token(user, scopes)
      return Response.json({
        token: issued,
        access_token: issued,
        expires_in: 300,
        issued_at: new Date().toISOString(),
      })
    },
  })
  afterAll(() => server.stop(true))
  return {
    realm: `http://127.0.0.1:${server.port}/token`,
    service: options.service,
    issuer: ISSUER,
    cert: files.cert,
    sign,
    token,
    requests,
  }
}
