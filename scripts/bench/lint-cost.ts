/**
 * @module
 * What the lint extension (`extensions.lint.mandatoryAnnotations`) costs per manifest push,
 * measured in-process on this machine and run by hand: the check alone against a registry on
 * local disk, when the annotations are on the manifest (parse only) and when they must be looked
 * up in the config's labels (parse, stat and read of the config blob). Prints mean, p50 and p99.
 *
 *   bun scripts/bench/lint-cost.ts [--rounds 5000]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { testStorageConfig } from '../../tests/support/config'
import { mandatoryAnnotationsLint } from '../../lib/lint/mandatory-annotations'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import { openStore } from '../../lib/registry/open-store'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5000' } } })
const rounds = Number(values.rounds)
const REQUIRED = ['org.opencontainers.image.source', 'org.opencontainers.image.licenses', 'team']

const root = await mkdtemp(join(tmpdir(), 'zot-lint-cost-'))
const store = await openStore(testStorageConfig({ rootDirectory: root }))
const { registry } = store
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
const labels = Object.fromEntries(REQUIRED.map((key) => [key, 'x']))
const config = encode({ architecture: 'amd64', os: 'linux', config: { Labels: labels }, history: [] })
await registry.putBlob('bench/app', digestOf(config), new Blob([config]).stream(), { origin: 'push' })
const manifest = (annotations: Record<string, string>) =>
  encode({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
    layers: Array.from({ length: 8 }, (_, i) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: `sha256:${i.toString(16).padStart(64, '0')}`,
      size: 1000 + i,
    })),
    annotations,
  })
const lint = mandatoryAnnotationsLint(REQUIRED)
if (!lint) throw new Error('lint not built')

async function timed(label: string, body: Uint8Array): Promise<void> {
  const push = { repository: 'bench/app', reference: 'v1', body, contentType: MediaType.ociManifest }
  for (let i = 0; i < 200; i++) await lint!(registry, push)
  const samples: number[] = []
  for (let i = 0; i < rounds; i++) {
    const started = performance.now()
    await lint!(registry, push)
    samples.push(performance.now() - started)
  }
  samples.sort((a, b) => a - b)
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(3)
  const mean = (samples.reduce((sum, x) => sum + x, 0) / samples.length).toFixed(3)
  console.log(`${label.padEnd(44)} mean ${mean} ms  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`)
}

await timed('annotations on the manifest (parse only)', manifest(labels))
await timed('annotations from the config labels (read)', manifest({}))
await store.close()
await rm(root, { recursive: true, force: true })
