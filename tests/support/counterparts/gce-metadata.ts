/**
 * @module
 * A small Google Compute Engine metadata server for the sync `gcp` credential-helper tests: the
 * default service account's token at
 * `GET /computeMetadata/v1/instance/service-accounts/default/token`, answered only with the
 * `Metadata-Flavor: Google` header (403 otherwise, as Google's is) and without
 * `X-Forwarded-For` (a request that came through a proxy), as `{access_token, expires_in,
 * token_type}`. Clients find it through `GCE_METADATA_HOST`. It notes each token it handed out
 * and the scopes asked for, and can be stopped and started again on its port.
 */
import { afterAll } from 'bun:test'
import { restartableServer } from './restartable-server'

export interface MetadataServer {
  /** `127.0.0.1:PORT`: `GCE_METADATA_HOST`. */
  host: string
  accessToken: string
  lifetimeSeconds: number
  /** The `scopes` query of each token handed out, and when (epoch ms). */
  issued: { scopes: string | null; at: number }[]
  stop(): Promise<void>
  start(): void
}

const TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token'

export function startMetadataServer(accessToken: string): MetadataServer {
  function answer(request: Request): Response {
    const url = new URL(request.url)
    if (request.headers.get('metadata-flavor') !== 'Google' || request.headers.has('x-forwarded-for'))
      return new Response('Missing Metadata-Flavor:Google header.', { status: 403 })
    if (request.method !== 'GET' || url.pathname !== TOKEN_PATH) return new Response('not found', { status: 404 })
    metadata.issued.push({ scopes: url.searchParams.get('scopes'), at: Date.now() })
    return Response.json(
      { access_token: metadata.accessToken, expires_in: metadata.lifetimeSeconds, token_type: 'Bearer' },
      { headers: { 'Metadata-Flavor': 'Google' } },
    )
  }
  const server = restartableServer(answer)
  const metadata: MetadataServer = {
    host: `127.0.0.1:${server.port}`,
    accessToken,
    lifetimeSeconds: 3599,
    issued: [],
    stop: server.stop,
    start: server.start,
  }
  afterAll(() => metadata.stop())
  return metadata
}
