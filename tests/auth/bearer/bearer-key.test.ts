/**
 * The key that checks bearer tokens, read from `http.auth.bearer.cert` in every form zot reads:
 * a certificate, an SPKI or PKCS#1 public key, or a JWKS with exactly one key.
 */
import { describe, expect, test } from 'bun:test'
import { generateKeyPairSync } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseVerificationKey } from '../../../lib/auth/bearer/verification-key'
import { makeSelfSignedCertificate } from '../../support/tls/certificates'
import { tempDirectory } from '../../support/temp'

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey
const directory = await tempDirectory('bearer-key')
const files = { key: join(directory, 'key.pem'), cert: join(directory, 'cert.pem') }
await makeSelfSignedCertificate({ ...files, commonName: 'token-server' })

describe('bearer verification keys', () => {
  test('a certificate, SPKI and PKCS#1 PEM and a one-key JWKS give the public key', async () => {
    const certificate = parseVerificationKey(await readFile(files.cert, 'utf8'), 'cert.pem')
    expect(certificate.type).toBe('public')
    expect(certificate.asymmetricKeyType).toBe('rsa')
    const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    expect(parseVerificationKey(spki, 'spki').asymmetricKeyType).toBe('ec')
    const pkcs1 = rsa.export({ type: 'pkcs1', format: 'pem' }).toString()
    expect(parseVerificationKey(pkcs1, 'pkcs1').asymmetricKeyType).toBe('rsa')
    const jwks = JSON.stringify({ keys: [publicKey.export({ format: 'jwk' })] })
    expect(parseVerificationKey(jwks, 'jwks').equals(publicKey)).toBe(true)
  })

  test('unusable files name the key, the file and the fix', () => {
    const two = JSON.stringify({ keys: [publicKey.export({ format: 'jwk' }), rsa.export({ format: 'jwk' })] })
    expect(() => parseVerificationKey(two, '/etc/zot/jwks.json')).toThrow(
      /http\.auth\.bearer\.cert \/etc\/zot\/jwks\.json: a JWKS must hold exactly one key; fix:/,
    )
    expect(() => parseVerificationKey('hello', 'x')).toThrow(/no PEM data found/)
    expect(() => parseVerificationKey('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 'x')).toThrow(
      /no certificate or public key found/,
    )
  })
})
