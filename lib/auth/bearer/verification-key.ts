/**
 * @module
 * The key that checks bearer tokens, read from `http.auth.bearer.cert`. As in zot (issue #3173),
 * the file may hold a certificate, a bare public key (SPKI or PKCS#1 PEM) or a JWKS with exactly
 * one key; whatever it holds, only its public key is used. The same forms are accepted for each
 * key of an AWS Secrets Manager secret (aws-secrets-keys.ts), as zot does.
 */
import { createPublicKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'

/**
 * Keys picked by the token's `kid` header (AWS Secrets Manager). `keyFor` throws an `Error`
 * saying why a token has no key (an invalid token), or `TokenKeysUnavailableError`.
 */
export interface TokenKeys {
  keyFor(kid: unknown): Promise<KeyObject>
}

/** No key is known because the key source cannot be read: the token may be fine (503, retry). */
export class TokenKeysUnavailableError extends Error {
  override name = 'TokenKeysUnavailableError'
}

/** The public key in a JWKS document, a PEM certificate or a PEM public key; throws saying why not. */
export function publicKeyOf(text: string): KeyObject {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let keys: unknown
    try {
      keys = (JSON.parse(trimmed) as { keys?: unknown }).keys
    } catch {
      throw new Error('not valid JSON')
    }
    if (!Array.isArray(keys) || keys.length !== 1) throw new Error('a JWKS must hold exactly one key')
    try {
      return createPublicKey({ key: keys[0] as JsonWebKeyInput['key'], format: 'jwk' })
    } catch (error) {
      throw new Error(`the JWKS key is unusable (${(error as Error).message})`)
    }
  }
  if (!trimmed.includes('-----BEGIN ')) throw new Error('no PEM data found')
  try {
    // Accepts certificates and SPKI/PKCS#1 public keys; a private key yields its public half.
    return createPublicKey(trimmed)
  } catch (error) {
    throw new Error(`no certificate or public key found (${(error as Error).message})`)
  }
}

/** `publicKeyOf` for `cert`: throws with the key, the file and the fix. */
export function parseVerificationKey(text: string, source: string): KeyObject {
  try {
    return publicKeyOf(text)
  } catch (error) {
    throw new Error(
      `http.auth.bearer.cert ${source}: ${(error as Error).message}; fix: point it at the token server's certificate (PEM), public key (PEM) or a JWKS with one key`,
    )
  }
}

/** Reads and parses the file; throws with the key, the file and the fix when unusable. */
export const readVerificationKey = (path: string): KeyObject => parseVerificationKey(readFileSync(path, 'utf8'), path)
