/**
 * @module
 * The JWT assertion the `oauth2` credential helper exchanges, from one of zot's two sources,
 * both read again at every refresh: `assertionFile`, a pre-signed token an external platform
 * issues and rotates (a Kubernetes projected service account token, a workload-identity token),
 * or `signingFile`, a JSON file `{privateKeyFile, algorithm, keyId, issuer, subject, audience}`
 * from which a fresh single-use assertion is minted (unique `jti`, five minutes of validity; `iss`
 * and `sub` default to the client id, `aud` to the token URL), as zot's `mintAssertion` does.
 */
import { createPrivateKey, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { SignJWT } from 'jose'

/** Long enough for the exchange round trip and clock skew; the access token's lifetime is its own. */
const ASSERTION_LIFETIME_SECONDS = 5 * 60

/** golang-jwt's algorithm names, which zot's signing files use. */
const ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])

export interface AssertionSource {
  assertionFile?: string | undefined
  signingFile?: string | undefined
  clientID?: string | undefined
  tokenURL?: string | undefined
}

/** A file the helper could not use; its message names the file. */
export class AssertionFileError extends Error {
  override name = 'AssertionFileError'
}

interface SigningFile {
  privateKeyFile?: unknown
  algorithm?: unknown
  keyId?: unknown
  issuer?: unknown
  subject?: unknown
  audience?: unknown
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch (error) {
    throw new AssertionFileError(`cannot read the oauth2 ${what} ${path}: ${(error as Error).message}`)
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

async function mint(source: AssertionSource, signingFile: string): Promise<string> {
  let signing: SigningFile
  try {
    signing = JSON.parse(await readText(signingFile, 'signing file')) as SigningFile
  } catch (error) {
    if (error instanceof AssertionFileError) throw error
    throw new AssertionFileError(`the oauth2 signing file ${signingFile} is not JSON: ${(error as Error).message}`)
  }
  const algorithm = text(signing.algorithm)
  if (!algorithm || !ALGORITHMS.has(algorithm))
    throw new AssertionFileError(
      `the oauth2 signing file ${signingFile} names an unsupported algorithm ${JSON.stringify(signing.algorithm)}; use one of ${[...ALGORITHMS].join(', ')}`,
    )
  const keyFile = text(signing.privateKeyFile)
  if (!keyFile) throw new AssertionFileError(`the oauth2 signing file ${signingFile} has no privateKeyFile`)
  let key: ReturnType<typeof createPrivateKey>
  try {
    key = createPrivateKey(await readText(keyFile, 'signing key file'))
  } catch (error) {
    if (error instanceof AssertionFileError) throw error
    throw new AssertionFileError(
      `the oauth2 signing key ${keyFile} is not a PEM private key: ${(error as Error).message}`,
    )
  }
  const clientId = source.clientID || undefined
  const keyId = text(signing.keyId)
  const issuer = text(signing.issuer) ?? clientId
  const subject = text(signing.subject) ?? clientId
  const audience = text(signing.audience) ?? source.tokenURL
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: algorithm, typ: 'JWT', ...(keyId && { kid: keyId }) })
    .setIssuedAt()
    .setExpirationTime(`${ASSERTION_LIFETIME_SECONDS}s`)
    // Unique per assertion, so the endpoint can refuse a replay.
    .setJti(randomBytes(16).toString('hex'))
  if (issuer) jwt.setIssuer(issuer)
  if (subject) jwt.setSubject(subject)
  if (audience) jwt.setAudience(audience)
  try {
    return await jwt.sign(key)
  } catch (error) {
    throw new AssertionFileError(
      `cannot sign the oauth2 assertion with ${keyFile} as ${algorithm}: ${(error as Error).message}`,
    )
  }
}

/** The assertion to exchange now: minted from `signingFile`, or read from `assertionFile`. */
export function assertion(source: AssertionSource): Promise<string> {
  if (source.signingFile) return mint(source, source.signingFile)
  return readText(source.assertionFile ?? '', 'assertion file')
}
