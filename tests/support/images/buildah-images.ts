/**
 * @module
 * Images built the way users build them, with buildah from scratch (offline, no base image), so
 * pushes go through buildah's own manifest and layer handling rather than a prepared layout.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClientEnvironment } from '../clients'

export interface BuildahImageOptions {
  architecture?: string
  fileBytes?: number
}

/** Commits a one-layer image holding a file of fresh random bytes; returns its local name. */
export async function buildahImage(
  clients: ClientEnvironment,
  name: string,
  options: BuildahImageOptions = {},
): Promise<string> {
  const context = await clients.scratch(`buildah-${name}`)
  const file = join(context, 'random.bin')
  // Fresh bytes every time: containers/image remembers blobs it pushed and would mount them instead.
  await writeFile(file, randomBytes(options.fileBytes ?? 64 * 1024))
  const container = (await clients.buildah(['from', 'scratch'])).stdout.trim()
  await clients.buildah(['copy', container, file, '/random.bin'])
  await clients.buildah([
    'config',
    '--os',
    'linux',
    '--arch',
    options.architecture ?? 'amd64',
    '--label',
    `e2e=${name}`,
    container,
  ])
  const imageName = `localhost/${name}`
  await clients.buildah(['commit', '--quiet', '--rm', container, imageName])
  return imageName
}

/** A local manifest list over one buildah image per architecture. */
export async function buildahManifestList(
  clients: ClientEnvironment,
  name: string,
  architectures: string[],
): Promise<string> {
  const listName = `localhost/${name}`
  await clients.buildah(['manifest', 'create', listName])
  for (const architecture of architectures) {
    const image = await buildahImage(clients, `${name}-${architecture}`, { architecture })
    await clients.buildah(['manifest', 'add', listName, image])
  }
  return listName
}

/** Runs a buildah push with `--digestfile` and returns the digest buildah says it pushed. */
export async function buildahPushDigest(clients: ClientEnvironment, args: string[]): Promise<string> {
  const digestFile = join(await clients.scratch('digest'), 'digest')
  const subcommand = args[0] === 'manifest' ? args.slice(0, 2) : args.slice(0, 1)
  await clients.buildah([...subcommand, '--digestfile', digestFile, ...args.slice(subcommand.length)])
  return (await Bun.file(digestFile).text()).trim()
}
