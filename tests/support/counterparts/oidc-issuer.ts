/**
 * @module
 * A small OpenID issuer for the workload-identity tests, as a Kubernetes API server or a CI
 * system is one for its tokens: `/.well-known/openid-configuration` and a JWKS served by Bun,
 * ID tokens signed with jose (RS256, the key announced by `kid`). Over TLS with a self-signed
 * certificate on request (`ca` is then the file a registry must trust). Counts what it served, so
 * tests can tell when the registry asked.
 */
import { afterAll } from 'bun:test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { makeSelfSignedCertificate } from '../tls/certificates'
import { tempDirectory } from '../temp'

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>

export interface SignOptions {
  /** jose's relative time, e.g. '5m' or '-1m'; default '10m'; null: no `exp`. */
  expiresIn?: string | null
  /** Signs with a key the JWKS does not hold. */
  foreignKey?: boolean
}

export interface OidcIssuer {
  /** The issuer URL, as tokens name it in `iss`. */
  issuer: string
  port: number
  /** PEM file of the TLS certificate, when started with `tls`. */
  ca?: string
  /** An ID token: `iss` is this issuer, `iat` now; `claims` add to or override those. */
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<string>
  /** A new signing key replaces the old one in the JWKS (key rotation). */
  rotate(): Promise<void>
  /** Requests served, by path. */
  served: { discovery: number; jwks: number }
  stop(): void
}

export interface IssuerOptions {
  port?: number
  tls?: boolean
  /** The `issuer` the discovery document announces (default: the real URL). */
  announcedIssuer?: string
  /** The caller stops it: started inside a test, Bun's afterAll would stop it with that test. */
  manualStop?: boolean
}

/** Starts an issuer on 127.0.0.1; stopped after the test file (unless `manualStop`). */
export async function startOidcIssuer(options: IssuerOptions = {}): Promise<OidcIssuer> {
  let key: KeyPair & { kid: string; jwk: JWK } = await newKey(1)
  let generation = 1
  const foreign = await generateKeyPair('RS256')
  const served = { discovery: 0, jwks: 0 }
  let tls: { cert: string; key: string } | undefined
  let ca: string | undefined
  if (options.tls) {
    const directory = await tempDirectory('oidc-issuer')
    const files = { key: join(directory, 'issuer.key'), cert: join(directory, 'issuer.crt') }
    await makeSelfSignedCertificate({ ...files, commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1' })
    tls = { cert: await readFile(files.cert, 'utf8'), key: await readFile(files.key, 'utf8') }
    ca = files.cert
  }
  let issuer = ''
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: options.port ?? 0,
    ...(tls && { tls }),
    fetch(request) {
      const path = new URL(request.url).pathname
      if (path === '/.well-known/openid-configuration') {
        served.discovery++
        return Response.json({
          issuer: options.announcedIssuer ?? issuer,
          jwks_uri: `${issuer}/keys`,
          id_token_signing_alg_values_supported: ['RS256'],
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
        })
      }
      if (path === '/keys') {
        served.jwks++
        return Response.json({ keys: [key.jwk] })
      }
      return new Response('not found', { status: 404 })
    },
  })
  issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${server.port}`
  if (!options.manualStop) afterAll(() => server.stop(true))

  return {
    issuer,
    port: server.port ?? 0,
    ...(ca && { ca }),
    served,
    sign(claims, { expiresIn = '10m', foreignKey = false } = {}) {
      const jwt = new SignJWT({ iss: issuer, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setIssuedAt()
      if (expiresIn !== null) jwt.setExpirationTime(expiresIn)
      return jwt.sign(foreignKey ? foreign.privateKey : key.privateKey)
    },
    async rotate() {
      key = await newKey(++generation)
    },
    stop: () => server.stop(true),
  }
}

async function newKey(generation: number) {
  const pair = await generateKeyPair('RS256', { extractable: true })
  const kid = `key-${generation}`
  const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' }
  return { ...pair, kid, jwk }
}
