/**
 * @module
 * The images cold-pull.ts pushes to its upstream: one large layer of random bytes (the blob the
 * curl rows pull), and a realistic image for `ctr pull`, whose layers are real gzip'd tars of
 * files (text that compresses like source code, incompressible "binaries") with the config's
 * diff_ids, so containerd decompresses and unpacks them into snapshots as in real use. Layers go
 * through files on disk, never whole in memory.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '../../../tests/support/clients'
import { type Descriptor, MediaType, manifestBytes } from '../../../tests/support/oci-layout'
import { pushBlob, pushManifest, randomBytes } from '../../../tests/sync/support/content'
import type { DockerRegistry } from '../../../tests/sync/support/docker-registry'

const MiB = 1 << 20
const CHUNK = 16 * MiB
const TEXT_FILE_BYTES = 64 * 1024
const BINARY_FILE_BYTES = 8 * MiB

/** One layer of the realistic image: this much text and this many random bytes, in files. */
interface LayerPlan {
  textMiB: number
  binaryMiB: number
}

/** ~350 MiB of files, ~200 MiB gzip'd: a base, a runtime, dependencies, the application. */
const APP_LAYERS: LayerPlan[] = [
  { textMiB: 50, binaryMiB: 40 },
  { textMiB: 70, binaryMiB: 35 },
  { textMiB: 100, binaryMiB: 15 },
  { textMiB: 30, binaryMiB: 10 },
]

export interface PushedLayeredImage {
  layers: number
  compressedBytes: number
  uncompressedBytes: number
}

async function sha256OfFile(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher('sha256')
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk)
  return `sha256:${hasher.digest('hex')}`
}

/** Uploads a file as one blob (POST session, PUT of the streamed file). */
async function pushFileBlob(upstream: DockerRegistry, repository: string, path: string, digest: string) {
  const start = await fetch(`${upstream.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
  await start.arrayBuffer()
  const location = new URL(start.headers.get('Location')!, upstream.url)
  location.searchParams.set('digest', digest)
  const put = await fetch(location, { method: 'PUT', body: Bun.file(path) })
  await put.arrayBuffer()
  if (put.status !== 201) throw new Error(`push of ${path} to ${repository}: ${put.status}`)
}

async function pushConfigAndManifest(
  upstream: DockerRegistry,
  repository: string,
  config: object,
  layers: Descriptor[],
): Promise<void> {
  const configBytes = new TextEncoder().encode(JSON.stringify(config))
  const manifest = manifestBytes({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: await pushBlob(upstream, repository, configBytes, MediaType.ociConfig),
    layers,
  })
  await pushManifest(upstream, repository, 'v1', manifest, MediaType.ociManifest)
}

/** Pushes `repository:v1`, one layer of `size` random bytes; returns the layer's digest. */
export async function pushLargeImage(
  upstream: DockerRegistry,
  repository: string,
  size: number,
  scratch: string,
): Promise<string> {
  const path = join(scratch, 'layer.bin')
  const writer = Bun.file(path).writer()
  for (let written = 0; written < size; written += CHUNK) writer.write(randomBytes(Math.min(CHUNK, size - written)))
  await writer.end()
  const layer = await sha256OfFile(path)
  await pushFileBlob(upstream, repository, path, layer)
  await rm(path)
  await pushConfigAndManifest(upstream, repository, { os: 'linux' }, [
    { mediaType: MediaType.ociLayerGzip, digest: layer, size },
  ])
  return layer
}

/**
 * 4096 made-up words, the common ones far more often: text of them compresses about as well as
 * source code does with gzip (~2.5x).
 */
const VOCABULARY = Array.from({ length: 4096 }, () =>
  Uint8Array.from({ length: 2 + Math.floor(Math.random() * 8) }, () => 97 + Math.floor(Math.random() * 26)),
)

function sourceLikeText(size: number): Uint8Array {
  const text = new Uint8Array(size)
  const random = new Uint32Array(4096)
  let used = random.length
  let at = 0
  while (at < size) {
    if (used === random.length) {
      crypto.getRandomValues(random)
      used = 0
    }
    const value = random[used++]!
    // The product of two uniform indices favours the low ones.
    const word = VOCABULARY[((value & 4095) * ((value >>> 12) & 4095)) >>> 12]!
    // Byte by byte: faster than a subarray per word of 2-9 bytes.
    for (let index = 0; index < word.length && at < size; index++) text[at++] = word[index]!
    if (at < size) text[at++] = value >>> 28 === 0 ? 10 : 32
  }
  return text
}

async function writeFiles(
  directory: string,
  totalMiB: number,
  fileBytes: number,
  content: (size: number) => Uint8Array,
) {
  await mkdir(directory, { recursive: true })
  for (let index = 0; index * fileBytes < totalMiB * MiB; index++) {
    await Bun.write(join(directory, `file-${index}`), content(fileBytes))
  }
}

/** Builds one layer as a gzip'd tar of fresh files; returns its descriptor and diff_id. */
async function buildLayer(plan: LayerPlan, directory: string) {
  const files = join(directory, 'files')
  await writeFiles(join(files, 'usr/share/text'), plan.textMiB, TEXT_FILE_BYTES, sourceLikeText)
  await writeFiles(join(files, 'usr/lib/binary'), plan.binaryMiB, BINARY_FILE_BYTES, randomBytes)
  const tar = join(directory, 'layer.tar')
  await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', files, '-cf', tar, '.'])
  await rm(files, { recursive: true })
  const diffId = await sha256OfFile(tar)
  const uncompressed = Bun.file(tar).size
  await run('gzip', ['-n', tar])
  const path = `${tar}.gz`
  const layer: Descriptor = {
    mediaType: MediaType.ociLayerGzip,
    digest: await sha256OfFile(path),
    size: Bun.file(path).size,
  }
  return { layer, diffId, uncompressed, path }
}

/** The platform containerd pulls by default on this machine. */
const ARCHITECTURE = process.arch === 'x64' ? 'amd64' : process.arch

/** Pushes `repository:v1`, the layers of APP_LAYERS built in `scratch` and removed afterwards. */
export async function pushLayeredImage(
  upstream: DockerRegistry,
  repository: string,
  scratch: string,
): Promise<PushedLayeredImage> {
  const layers: Descriptor[] = []
  const diffIds: string[] = []
  let uncompressedBytes = 0
  for (const [index, plan] of APP_LAYERS.entries()) {
    const directory = join(scratch, `layer-${index}`)
    const built = await buildLayer(plan, directory)
    await pushFileBlob(upstream, repository, built.path, built.layer.digest)
    await rm(directory, { recursive: true })
    layers.push(built.layer)
    diffIds.push(built.diffId)
    uncompressedBytes += built.uncompressed
  }
  const config = {
    architecture: ARCHITECTURE,
    os: 'linux',
    config: { Cmd: ['/bin/true'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  }
  await pushConfigAndManifest(upstream, repository, config, layers)
  return {
    layers: layers.length,
    compressedBytes: layers.reduce((sum, layer) => sum + layer.size, 0),
    uncompressedBytes,
  }
}
