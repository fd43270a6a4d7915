/**
 * @module
 * OCI artifacts users keep in zot (a Helm chart, a cosign signature tag, an SBOM) push and pull
 * unchanged with skopeo, and artifacts with a `subject` show up in the referrers API.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import {
  E2E_TIMEOUT_MS,
  expectPulledUnchanged,
  expectServedManifest,
  pushLayoutTag,
  useRegistryAndClients,
} from '../support/e2e'
import {
  buildArtifact,
  buildCosignSignature,
  buildHelmChart,
  buildRandomImage,
  buildSbom,
  cosignSignatureTag,
  SBOM_ARTIFACT_TYPE,
  type BuiltImage,
} from '../support/images/images'
import { MediaType, readLayoutBlob, sha256Digest, type OciLayout } from '../support/oci-layout'
import { fetchReferrers, putManifest } from '../support/registry-api'
import { againstReference } from '../support/server'

const context = useRegistryAndClients()
const REPOSITORY = 'artifacts/app'
const ATTESTATION_TYPE = 'application/vnd.example.attestation.v1+json'

let layout: OciLayout
let subject: BuiltImage
let signature: BuiltImage
let sbom: BuiltImage
let attestation: BuiltImage

beforeAll(async () => {
  layout = await context.newLayout('artifacts')
  subject = await buildRandomImage(layout, 'app')
  signature = await buildCosignSignature(layout, subject.manifest, `${context.registry.host}/${REPOSITORY}`)
  sbom = await buildSbom(layout, subject.manifest, 'app-sbom')
  attestation = await buildArtifact(layout, 'app-attestation', {
    artifactType: ATTESTATION_TYPE,
    content: JSON.stringify({ predicateType: 'https://example.com/test' }),
    subject: subject.manifest,
  })
  for (const tag of ['app', cosignSignatureTag(subject.manifest.digest), 'app-sbom', 'app-attestation']) {
    await pushLayoutTag(context, layout, tag, REPOSITORY)
  }
}, E2E_TIMEOUT_MS)

describe('push and pull unchanged', () => {
  test('a Helm chart', async () => {
    const chartLayout = await context.newLayout('helm')
    const chart = await buildHelmChart(chartLayout, '0.1.0')
    await pushLayoutTag(context, chartLayout, '0.1.0', 'artifacts/charts/demo')
    const served = JSON.parse(
      new TextDecoder().decode(
        await expectServedManifest(context.registry, 'artifacts/charts/demo', '0.1.0', chart.manifest),
      ),
    ) as { config: { mediaType: string } }
    expect(served.config.mediaType).toBe('application/vnd.cncf.helm.config.v1+json')
    await expectPulledUnchanged(context, 'artifacts/charts/demo', '0.1.0', chart, chartLayout)
  })

  test('a cosign signature under its sha256-<hex>.sig tag', async () => {
    const tag = cosignSignatureTag(subject.manifest.digest)
    await expectServedManifest(context.registry, REPOSITORY, tag, signature.manifest)
    await expectPulledUnchanged(context, REPOSITORY, tag, signature, layout)
    const { stdout } = await context.clients.skopeo(['list-tags', `docker://${context.registry.host}/${REPOSITORY}`])
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags).toContain(tag)
  })

  test('an SBOM with artifactType and subject', async () => {
    const served = JSON.parse(
      new TextDecoder().decode(await expectServedManifest(context.registry, REPOSITORY, 'app-sbom', sbom.manifest)),
    ) as { artifactType: string; subject: { digest: string } }
    expect(served.artifactType).toBe(SBOM_ARTIFACT_TYPE)
    expect(served.subject.digest).toBe(subject.manifest.digest)
    await expectPulledUnchanged(context, REPOSITORY, 'app-sbom', sbom, layout)
  })
})

describe.skipIf(againstReference)('referrers API', () => {
  test('lists each artifact whose subject is the image, with artifactType and annotations', async () => {
    const referrers = await fetchReferrers(context.registry.url, REPOSITORY, subject.manifest.digest)
    expect(referrers.contentType?.split(';')[0]).toBe(MediaType.ociIndex)
    expect(referrers.index.schemaVersion).toBe(2)
    expect(referrers.index.mediaType).toBe(MediaType.ociIndex)
    expect(referrers.filtersApplied).toBeNull()
    // The cosign tag-scheme signature has no subject: it must not be listed.
    const byDigest = (a: { digest: string }, b: { digest: string }) => a.digest.localeCompare(b.digest)
    expect([...referrers.index.manifests].sort(byDigest)).toEqual([sbom.manifest, attestation.manifest].sort(byDigest))
  })

  test('?artifactType= keeps only matching referrers and says so in OCI-Filters-Applied', async () => {
    const filtered = await fetchReferrers(context.registry.url, REPOSITORY, subject.manifest.digest, SBOM_ARTIFACT_TYPE)
    expect(filtered.filtersApplied).toBe('artifactType')
    expect(filtered.index.manifests).toEqual([sbom.manifest])
    const none = await fetchReferrers(
      context.registry.url,
      REPOSITORY,
      subject.manifest.digest,
      'application/x-nothing',
    )
    expect(none.filtersApplied).toBe('artifactType')
    expect(none.index.manifests).toEqual([])
  })

  test('an unknown subject has an empty index', async () => {
    const unknown = sha256Digest(crypto.getRandomValues(new Uint8Array(32)))
    const referrers = await fetchReferrers(context.registry.url, REPOSITORY, unknown)
    expect(referrers.index.manifests).toEqual([])
  })

  test('a manifest PUT with a subject answers with OCI-Subject', async () => {
    const bytes = await readLayoutBlob(layout.directory, sbom.manifest.digest)
    const response = await putManifest(
      context.registry.url,
      REPOSITORY,
      sbom.manifest.digest,
      bytes,
      MediaType.ociManifest,
    )
    expect(response.status).toBe(201)
    expect(response.headers.get('oci-subject')).toBe(subject.manifest.digest)
    expect(response.headers.get('docker-content-digest')).toBe(sbom.manifest.digest)
  })
})
