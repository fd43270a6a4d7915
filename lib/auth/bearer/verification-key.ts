/**
 * @module
 * The key that checks bearer tokens, read from `http.auth.bearer.cert`. As in zot (issue #3173),
 * the file may hold a certificate, a bare public key (SPKI or PKCS#1 PEM) or a JWKS with exactly
 * one key; whatever it holds, only its public key is used.
 */
import { createPublicKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** The public key in a JWKS document, a PEM certificate or a PEM public key. */
export function parseVerificationKey(text: string, source: string): KeyObject {
  const fail = (why: string): never => {
    throw new Error(
      `http.auth.bearer.cert ${source}: ${why}; fix: point it at the token server's certificate (PEM), public key (PEM) or a JWKS with one key`,
    )
  }
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let keys: unknown
    try {
      keys = (JSON.parse(trimmed) as { keys?: unknown }).keys
    } catch {
      return fail('not valid JSON')
    }
    if (!Array.isArray(keys) || keys.length !== 1) return fail('a JWKS must hold exactly one key')
    try {
      return createPublicKey({ key: keys[0] as JsonWebKeyInput['key'], format: 'jwk' })
    } catch (error) {
      return fail(`the JWKS key is unusable (${(error as Error).message})`)
    }
  }
  if (!trimmed.includes('-----BEGIN ')) return fail('no PEM data found')
  try {
    // Accepts certificates and SPKI/PKCS#1 public keys; a private key yields its public half.
    return createPublicKey(trimmed)
  } catch (error) {
    return fail(`no certificate or public key found (${(error as Error).message})`)
  }
}

/** Reads and parses the file; throws with the key, the file and the fix when unusable. */
export const readVerificationKey = (path: string): KeyObject => parseVerificationKey(readFileSync(path, 'utf8'), path)
