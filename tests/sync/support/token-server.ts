/**
 * @module
 * A Docker token server (distribution's token auth spec) on 127.0.0.1: `GET /token?service=&scope=`
 * answers a JWT signed RS256 with the certificate in `x5c`, which docker-registry verifies
 * against `rootcertbundle`. With `users`, Basic credentials are checked; anonymous requests get
 * pull access only when `anonymousPull` is set. Every token request is recorded.
 */
import { createSign } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeSelfSignedCertificate } from '../../support/certificates'

export interface TokenServerOptions {
  service: string
  users?: Record<string, string>
  anonymousPull?: boolean
  /** Lifetime of issued tokens, seconds. */
  expiresIn?: number
}

export interface TokenServer {
  realm: string
  service: string
  issuer: string
  /** PEM file docker-registry trusts. */
  certificatePath: string
  /** `user|anonymous scope` per request. */
  requests: string[]
  stop(): Promise<void>
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url')

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const directory = await mkdtemp(join(tmpdir(), 'zot-sync-token-'))
  const certificatePath = join(directory, 'cert.pem')
  const keyPath = join(directory, 'key.pem')
  await makeSelfSignedCertificate({ key: keyPath, cert: certificatePath, commonName: 'zot-sync-test-token' })
  const key = await readFile(keyPath, 'utf8')
  const certificateDer = (await readFile(certificatePath, 'utf8')).replace(/-----[^-]+-----|\s/g, '')
  const issuer = 'zot-sync-test'
  const requests: string[] = []

  function sign(subject: string, access: object[]): string {
    const now = Math.floor(Date.now() / 1000)
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [certificateDer] }))
    const claims = base64url(
      JSON.stringify({
        iss: issuer,
        sub: subject,
        aud: options.service,
        exp: now + (options.expiresIn ?? 300),
        nbf: now - 10,
        iat: now,
        jti: crypto.randomUUID(),
        access,
      }),
    )
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key)
    return `${header}.${claims}.${base64url(signature)}`
  }

  function user(request: Request): string | undefined | null {
    const header = request.headers.get('Authorization')
    if (!header) return undefined
    const [name, password] = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64')
      .toString()
      .split(':')
    return name !== undefined && options.users?.[name] === password ? name : null
  }

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      const url = new URL(request.url)
      const who = user(request)
      const scopes = url.searchParams.getAll('scope')
      requests.push(`${who ?? 'anonymous'} ${scopes.join(' ')}`)
      if (who === null || (who === undefined && !options.anonymousPull))
        return new Response('{"details":"bad credentials"}', { status: 401 })
      const access = scopes.flatMap((scope) => {
        const [type, name, actions] = scope.split(':')
        if (type !== 'repository' || !name) return []
        return [{ type, name, actions: who ? (actions ?? '').split(',') : ['pull'] }]
      })
      return Response.json({
        token: sign(who ?? '', access),
        expires_in: options.expiresIn ?? 300,
        issued_at: new Date().toISOString(),
      })
    },
  })
  return {
    realm: `http://127.0.0.1:${server.port}/token`,
    service: options.service,
    issuer,
    certificatePath,
    requests,
    stop: async () => {
      await server.stop(true)
      await rm(directory, { recursive: true, force: true })
    },
  }
}
