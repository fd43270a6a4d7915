/**
 * @module
 * `credentialHelper: "gcp"`: a Google access token as the password of Artifact Registry or
 * Container Registry, with the username they expect, `oauth2accesstoken`. Like zot, which asks
 * Google's Application Default Credentials, the token comes from the first of:
 *
 * 1. The JSON key file named by `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
 *    `application_default_credentials.json` (under `CLOUDSDK_CONFIG`, or `~/.config/gcloud`):
 *    a `service_account` key signs a JWT (RS256, `kid` its key id) exchanged at its `token_uri`
 *    (RFC 7523); an `authorized_user` file (`gcloud auth application-default login`) trades its
 *    refresh token. Other types (`external_account`, `impersonated_service_account`) are refused
 *    with a fix: workload identity federation is the `oauth2` helper's token exchange.
 * 2. The metadata server of GCE, GKE (workload identity), Cloud Run:
 *    `GET /computeMetadata/v1/instance/service-accounts/default/token` with
 *    `Metadata-Flavor: Google`, on `GCE_METADATA_HOST` when set (tests, emulators), else
 *    `metadata.google.internal`.
 *
 * The scope asked for is zot's, the read-only cloud-platform scope (sync never writes upstream);
 * the metadata server may hand out what the instance was given instead. Tokens (an hour, usually)
 * are refreshed five minutes before they expire, when the metadata server has a new one ready.
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { importPKCS8, SignJWT } from 'jose'
import type { CredentialHelper, ExpiringCredentials } from './refreshing-credentials'
import { type AccessToken, requestToken, TokenEndpointError, tokenFrom } from './token-endpoint'

const USERNAME = 'oauth2accesstoken'
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform.read-only'
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token'
const METADATA_HOST = 'metadata.google.internal'
const METADATA_TOKEN_PATH = '/computeMetadata/v1/instance/service-accounts/default/token'
const REFRESH_AHEAD_MS = 5 * 60_000
const ASSERTION_LIFETIME_SECONDS = 3600
const METADATA_TIMEOUT_MS = 10_000

/** Credentials that cannot be used as they are; the message says which and why. */
class GoogleCredentialsError extends Error {
  override name = 'GoogleCredentialsError'
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message)
  }
}

interface CredentialsFile {
  type?: unknown
  client_email?: unknown
  private_key?: unknown
  private_key_id?: unknown
  token_uri?: unknown
  client_id?: unknown
  client_secret?: unknown
  refresh_token?: unknown
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

/** The ADC file: the one named by the environment (which must then exist), else gcloud's if present. */
async function credentialsFile(): Promise<{ path: string; file: CredentialsFile } | undefined> {
  const named = process.env.GOOGLE_APPLICATION_CREDENTIALS
  const gcloudDirectory = process.env.CLOUDSDK_CONFIG || join(homedir(), '.config', 'gcloud')
  const path = named || join(gcloudDirectory, 'application_default_credentials.json')
  let content: string
  try {
    content = await readFile(path, 'utf8')
  } catch (error) {
    if (!named) return undefined
    throw new GoogleCredentialsError(
      `cannot read GOOGLE_APPLICATION_CREDENTIALS ${path}: ${(error as Error).message}`,
      'point GOOGLE_APPLICATION_CREDENTIALS at a readable key file, or unset it to use the metadata server',
    )
  }
  try {
    return { path, file: JSON.parse(content) as CredentialsFile }
  } catch (error) {
    throw new GoogleCredentialsError(
      `${path} is not JSON: ${(error as Error).message}`,
      'use the JSON key file Google issued',
    )
  }
}

async function serviceAccountToken(path: string, file: CredentialsFile): Promise<AccessToken> {
  const email = text(file.client_email)
  const pem = text(file.private_key)
  if (!email || !pem)
    throw new GoogleCredentialsError(
      `the service account key ${path} has no client_email or private_key`,
      'download a new JSON key for the service account',
    )
  const tokenUri = text(file.token_uri) ?? GOOGLE_TOKEN_URI
  const keyId = text(file.private_key_id)
  const now = Math.floor(Date.now() / 1000)
  const signed = await new SignJWT({ scope: SCOPE })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(keyId && { kid: keyId }) })
    .setIssuer(email)
    .setAudience(tokenUri)
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
    .sign(await importPKCS8(pem, 'RS256'))
  return requestToken(
    tokenUri,
    new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signed }),
  )
}

function authorizedUserToken(path: string, file: CredentialsFile): Promise<AccessToken> {
  const [clientId, clientSecret, refreshToken] = [file.client_id, file.client_secret, file.refresh_token].map(text)
  if (!clientId || !clientSecret || !refreshToken)
    throw new GoogleCredentialsError(
      `the user credentials ${path} lack client_id, client_secret or refresh_token`,
      'run "gcloud auth application-default login" again',
    )
  return requestToken(
    text(file.token_uri) ?? GOOGLE_TOKEN_URI,
    new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      client_secret: clientSecret,
      refresh_token: refreshToken,
    }),
  )
}

async function metadataToken(): Promise<AccessToken> {
  const host = process.env.GCE_METADATA_HOST || METADATA_HOST
  const url = `http://${host}${METADATA_TOKEN_PATH}?scopes=${encodeURIComponent(SCOPE)}`
  let response: Response
  try {
    response = await fetch(url, {
      headers: { 'Metadata-Flavor': 'Google' },
      signal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
    })
  } catch (error) {
    throw new GoogleCredentialsError(
      `no Google credentials: no GOOGLE_APPLICATION_CREDENTIALS, no gcloud application default credentials, and the metadata server ${host} did not answer (${(error as Error).message})`,
      'run on Google Cloud with a service account, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file',
    )
  }
  return tokenFrom(response, `the metadata server ${host}`)
}

async function accessToken(): Promise<AccessToken> {
  const found = await credentialsFile()
  if (!found) return metadataToken()
  const { path, file } = found
  if (file.type === 'service_account') return serviceAccountToken(path, file)
  if (file.type === 'authorized_user') return authorizedUserToken(path, file)
  throw new GoogleCredentialsError(
    `${path} holds credentials of type ${JSON.stringify(file.type)}, which the gcp helper does not use`,
    'use a service_account key or gcloud user credentials; for workload identity federation use credentialHelper "oauth2" with the token-exchange grant',
  )
}

export function gcpHelper(): CredentialHelper {
  return {
    name: 'gcp',
    refreshAheadMs: REFRESH_AHEAD_MS,
    keyOf: () => '',
    async fetch(): Promise<ExpiringCredentials> {
      const { accessToken: password, expiresAt } = await accessToken()
      return { username: USERNAME, password, expiresAt }
    },
    fixFor(error) {
      if (error instanceof GoogleCredentialsError) return error.fix
      if (error instanceof TokenEndpointError && error.status !== undefined && error.status < 500)
        return 'check that the service account or user credentials are still valid (not deleted or revoked)'
      return undefined
    },
  }
}
