/**
 * Which user a client certificate names (`http.auth.mtls`), for openssl-made certificates: each
 * of zot's identity attributes, the fallback order, SAN indexes and `uriSanPattern`.
 */
import { describe, expect, test } from 'bun:test'
import { readFile } from 'node:fs/promises'
import { certificateIdentifier, DEFAULT_MTLS } from '../../lib/auth/mtls/certificate-identity'
import { createTestCa } from '../support/tls/client-certificates'
import { tempDirectory } from '../support/temp'

const ca = await createTestCa(await tempDirectory('mtls-identity'))
const der = async (path: string) => {
  const pem = await readFile(path, 'utf8')
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
}
const workload = await der(
  (
    await ca.issue(
      'workload',
      '/O=Example/OU=CI/CN=builder',
      'URI:https://example.org/x,URI:spiffe://example.org/workload/flux,DNS:a.example.org,DNS:b.example.org,email:ci@example.org',
    )
  ).cert,
)
const nameless = await der((await ca.issue('nameless', '/O=Example', 'email:robot@example.org')).cert)
const identify = (settings: Partial<typeof DEFAULT_MTLS>, certificate = workload) =>
  certificateIdentifier({ ...DEFAULT_MTLS, ...settings })(certificate)

describe('certificate identities', () => {
  test('CommonName by default; Subject as Go prints it', () => {
    expect(certificateIdentifier()(workload)).toBe('builder')
    expect(identify({ identityAttributes: ['cn'] })).toBe('builder')
    expect(identify({ identityAttributes: ['Subject'] })).toBe('CN=builder,OU=CI,O=Example')
  })

  test('SANs by index, and the URI cut to the first group of uriSanPattern', () => {
    expect(identify({ identityAttributes: ['URI'] })).toBe('https://example.org/x')
    expect(identify({ identityAttributes: ['URI'], uriSanIndex: 1 })).toBe('spiffe://example.org/workload/flux')
    const spiffe = { identityAttributes: ['URI'], uriSanIndex: 1, uriSanPattern: 'spiffe://example.org/workload/(.*)' }
    expect(identify(spiffe)).toBe('flux')
    expect(identify({ ...spiffe, uriSanIndex: 0 })).toBeUndefined()
    expect(identify({ identityAttributes: ['DNSName'], dnsSanIndex: 1 })).toBe('b.example.org')
    expect(identify({ identityAttributes: ['rfc822name'] })).toBe('ci@example.org')
    expect(identify({ identityAttributes: ['DNS'], dnsSanIndex: 5 })).toBeUndefined()
  })

  test('the first attribute with a value wins; none gives no identity', () => {
    expect(identify({ identityAttributes: ['CommonName', 'Email'] }, nameless)).toBe('robot@example.org')
    expect(identify({ identityAttributes: ['CommonName', 'URI'] }, nameless)).toBeUndefined()
  })
})
