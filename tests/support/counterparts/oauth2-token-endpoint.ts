/**
 * @module
 * A small OAuth2 token endpoint for the sync `oauth2` credential-helper tests, for the grants a
 * registry's identity provider or a security token service answers and oidc-provider does not
 * (jwt-bearer, RFC 8693 token exchange), and client_credentials with a JWT client assertion. It
 * checks what RFCs 7521/7523/8693 require of each form with jose: the assertion's signature by
 * the one public key it trusts, `iss`/`sub` as the client id, `aud` as its own URL (client
 * assertions), a `jti` never seen before (client assertions are single-use), the audience and
 * token types of an exchange, the client secret and scope when it expects them. It answers
 * `{access_token, token_type, expires_in}` with the token and lifetime the test set, or
 * `{error, error_description}` with 400. It notes each token it issued, and can be stopped and
 * started again on its port.
 */
import { afterAll } from 'bun:test'
import { type CryptoKey, type JWTPayload, jwtVerify, type KeyObject } from 'jose'
import { restartableServer } from './restartable-server'

export interface TokenEndpointOptions {
  /** The key that signs valid assertions. */
  publicKey: CryptoKey | KeyObject
  clientId?: string
  clientSecret?: string
  /** The `scope` the client must ask for. */
  scope?: string
  /** The `audience` a token exchange must name. */
  audience?: string
  /** A jwt-bearer assertion must name this endpoint as its `aud` (Google's service account flow). */
  bearerForMe?: boolean
}

export interface OAuth2TokenEndpoint {
  /** `http://127.0.0.1:PORT/token`. */
  url: string
  /** The access token handed out. */
  accessToken: string
  /** `expires_in` of the tokens handed out. */
  lifetimeSeconds: number
  /** Grant type of each token issued, and when (epoch ms). */
  issued: { grantType: string; at: number }[]
  /** Refusals, as `error: description`. */
  refused: string[]
  stop(): Promise<void>
  start(): void
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

class Refusal extends Error {
  constructor(
    readonly error: string,
    description: string,
  ) {
    super(description)
  }
}

export function startOAuth2TokenEndpoint(options: TokenEndpointOptions, accessToken: string): OAuth2TokenEndpoint {
  const seenJti = new Set<string>()
  const refuse = (error: string, description: string): never => {
    throw new Refusal(error, description)
  }

  async function verified(token: string | null, audience?: string): Promise<JWTPayload> {
    if (!token) return refuse('invalid_request', 'no assertion')
    try {
      const { payload } = await jwtVerify(token, options.publicKey, audience ? { audience } : {})
      return payload
    } catch (error) {
      return refuse('invalid_grant', `assertion rejected: ${(error as Error).message}`)
    }
  }

  async function grant(form: URLSearchParams): Promise<string> {
    const grantType = form.get('grant_type') ?? ''
    if (options.clientSecret !== undefined && form.get('client_secret') !== options.clientSecret)
      refuse('invalid_client', 'wrong client secret')
    if (options.clientId !== undefined && form.get('client_id') !== options.clientId)
      refuse('invalid_client', 'wrong client_id')
    if (options.scope !== undefined && form.get('scope') !== options.scope)
      refuse('invalid_scope', `scope must be "${options.scope}"`)
    if (grantType === 'client_credentials') {
      if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE)
        refuse('invalid_client', 'client_assertion_type must be jwt-bearer')
      const claims = await verified(form.get('client_assertion'), endpoint.url)
      if (claims.iss !== options.clientId || claims.sub !== options.clientId)
        refuse('invalid_client', 'iss and sub must be the client id')
      if (!claims.jti || seenJti.has(claims.jti)) refuse('invalid_client', 'jti missing or already used')
      seenJti.add(claims.jti ?? '')
    } else if (grantType === JWT_BEARER) {
      await verified(form.get('assertion'), options.bearerForMe ? endpoint.url : undefined)
    } else if (grantType === TOKEN_EXCHANGE) {
      await verified(form.get('subject_token'))
      if (form.get('audience') !== options.audience) refuse('invalid_target', 'unknown audience')
      if (form.get('subject_token_type') !== 'urn:ietf:params:oauth:token-type:jwt')
        refuse('invalid_request', 'subject_token_type must be the JWT type')
      if (form.get('requested_token_type') !== 'urn:ietf:params:oauth:token-type:access_token')
        refuse('invalid_request', 'requested_token_type must be the access-token type')
    } else {
      refuse('unsupported_grant_type', grantType)
    }
    return grantType
  }

  async function answer(request: Request): Promise<Response> {
    if (request.method !== 'POST' || new URL(request.url).pathname !== '/token')
      return new Response(null, { status: 404 })
    if (!request.headers.get('content-type')?.startsWith('application/x-www-form-urlencoded'))
      return Response.json({ error: 'invalid_request', error_description: 'form expected' }, { status: 400 })
    try {
      const grantType = await grant(new URLSearchParams(await request.text()))
      endpoint.issued.push({ grantType, at: Date.now() })
      return Response.json({
        access_token: endpoint.accessToken,
        token_type: 'Bearer',
        expires_in: endpoint.lifetimeSeconds,
      })
    } catch (error) {
      if (!(error instanceof Refusal)) throw error
      endpoint.refused.push(`${error.error}: ${error.message}`)
      return Response.json({ error: error.error, error_description: error.message }, { status: 400 })
    }
  }

  const server = restartableServer(answer)
  const endpoint: OAuth2TokenEndpoint = {
    url: `http://127.0.0.1:${server.port}/token`,
    accessToken,
    lifetimeSeconds: 3600,
    issued: [],
    refused: [],
    stop: server.stop,
    start: server.start,
  }
  afterAll(() => endpoint.stop())
  return endpoint
}
