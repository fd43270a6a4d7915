/**
 * `credentialHelper: "gcp"`: a Google access token as the password (`oauth2accesstoken`) of a
 * private docker-registry, from a GCE metadata server the test starts
 * (tests/support/counterparts/gce-metadata.ts, found through `GCE_METADATA_HOST`) or from a
 * service account key named by `GOOGLE_APPLICATION_CREDENTIALS`, whose signed JWT a token
 * endpoint checks. One token for many pulls, refreshed before it expires; the key file is used
 * before the metadata server; credentials of a type the helper does not use are logged with a fix.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { exportPKCS8, generateKeyPair } from 'jose'
import { startMetadataServer } from '../../support/counterparts/gce-metadata'
import { startOAuth2TokenEndpoint } from '../../support/counterparts/oauth2-token-endpoint'
import { tempDirectory } from '../../support/temp'
import { digestsOf, eventually, logLines, pullTag, skopeoPull, startHelperCache, startPrivateUpstream } from './support'

setDefaultTimeout(120_000)
const ACCESS_TOKEN = 'ya29.test-access-token'
const READ_ONLY_SCOPE = 'https://www.googleapis.com/auth/cloud-platform.read-only'
const metadata = startMetadataServer(ACCESS_TOKEN)
const { upstream, images } = await startPrivateUpstream('oauth2accesstoken', ACCESS_TOKEN)
const directory = await tempDirectory('gcp-helper')
// No gcloud credentials of the machine's user may be found instead.
const isolated = { CLOUDSDK_CONFIG: directory, GCE_METADATA_HOST: metadata.host }

describe('gcp credential helper', () => {
  test('the metadata server token: one request for many pulls, skopeo pulls through', async () => {
    const before = metadata.issued.length
    const cache = await startHelperCache(upstream.url, { credentialHelper: 'gcp' }, isolated)
    const statuses = await Promise.all(Array.from({ length: 9 }, (_, index) => pullTag(cache, String((index % 3) + 1))))
    expect(statuses).toEqual(Array(9).fill(200))
    expect(await skopeoPull(cache, 'app:1')).toEqual(digestsOf(images[0]!))
    expect(metadata.issued.slice(before)).toEqual([{ scopes: READ_ONLY_SCOPE, at: expect.any(Number) }])
  })

  test('a token near its expiry is refreshed', async () => {
    metadata.lifetimeSeconds = 6
    const before = metadata.issued.length
    const cache = await startHelperCache(upstream.url, { credentialHelper: 'gcp' }, isolated)
    expect(await pullTag(cache, '2')).toBe(200)
    await Bun.sleep(3_500)
    expect(await pullTag(cache, '2')).toBe(200)
    expect(await eventually(() => metadata.issued.length - before >= 2)).toBe(true)
    metadata.lifetimeSeconds = 3599
  })

  test('a service account key from GOOGLE_APPLICATION_CREDENTIALS comes before the metadata server', async () => {
    const keys = await generateKeyPair('RS256', { extractable: true })
    const endpoint = startOAuth2TokenEndpoint({ publicKey: keys.publicKey, bearerForMe: true }, ACCESS_TOKEN)
    const keyFile = join(directory, 'service-account.json')
    await writeFile(
      keyFile,
      JSON.stringify({
        type: 'service_account',
        project_id: 'zot-test',
        private_key_id: 'key-1',
        private_key: await exportPKCS8(keys.privateKey),
        client_email: 'sync@zot-test.iam.gserviceaccount.com',
        token_uri: endpoint.url,
      }),
    )
    const before = metadata.issued.length
    const cache = await startHelperCache(
      upstream.url,
      { credentialHelper: 'gcp' },
      { ...isolated, GOOGLE_APPLICATION_CREDENTIALS: keyFile },
    )
    expect(await pullTag(cache, '3')).toBe(200)
    expect(endpoint.issued.map((issued) => issued.grantType)).toEqual(['urn:ietf:params:oauth:grant-type:jwt-bearer'])
    expect(endpoint.refused).toEqual([])
    expect(metadata.issued.length).toBe(before)
  })

  test('credentials of a type the helper does not use are logged with a fix', async () => {
    const keyFile = join(directory, 'external-account.json')
    await writeFile(keyFile, JSON.stringify({ type: 'external_account', audience: '//iam.googleapis.com/x' }))
    const cache = await startHelperCache(
      upstream.url,
      { credentialHelper: 'gcp' },
      { ...isolated, GOOGLE_APPLICATION_CREDENTIALS: keyFile },
    )
    expect(await eventually(() => logLines(cache, 'the gcp credential helper failed').length > 0)).toBe(true)
    const line = logLines(cache, 'the gcp credential helper failed')[0]!
    expect(line).toMatchObject({ level: 'error', credentialHelper: 'gcp' })
    expect(String(line.error)).toContain('external_account')
    expect(String(line.fix)).toContain('token-exchange')
    expect(await pullTag(cache, '1')).not.toBe(200)
  })
})
