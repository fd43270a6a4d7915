/**
 * @module
 * Checks a zot root directory the way a crash test must: every file under `blobs/sha256/` is
 * named by the digest of its content (no half-written blob is visible), every `index.json`
 * parses, and every manifest it lists is present. Returns problems instead of throwing, so a test
 * reports all of them at once.
 */
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { REF_NAME_ANNOTATION, type Descriptor } from './oci-layout'

const SHA256_HEX = /^[a-f0-9]{64}$/

export interface IntegrityReport {
  repositories: string[]
  blobCount: number
  problems: string[]
}

export async function checkLayoutIntegrity(rootDirectory: string): Promise<IntegrityReport> {
  const entries = await readdir(rootDirectory, { recursive: true, withFileTypes: true })
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
  const blobFiles = files.filter(isBlobFile)
  const indexFiles = files.filter(
    (file) => file.endsWith('/index.json') && !file.includes('/blobs/'),
  )
  const problems: string[] = []

  for (const file of blobFiles) {
    const name = file.slice(file.lastIndexOf('/') + 1)
    if (!SHA256_HEX.test(name)) {
      problems.push(`${relative(rootDirectory, file)}: not named by a sha256 digest`)
      continue
    }
    const actual = await hashFile(file)
    if (actual !== name)
      problems.push(`${relative(rootDirectory, file)}: content hashes to ${actual}`)
  }

  const blobSet = new Set(blobFiles.map((file) => relative(rootDirectory, file)))
  for (const file of indexFiles) {
    const repository = relative(rootDirectory, file.slice(0, -'/index.json'.length))
    let manifests: Descriptor[]
    try {
      manifests = (JSON.parse(await Bun.file(file).text()) as { manifests: Descriptor[] }).manifests
      if (!Array.isArray(manifests)) throw new Error('no manifests array')
    } catch (error) {
      problems.push(`${repository}/index.json does not parse: ${String(error)}`)
      continue
    }
    for (const descriptor of manifests) {
      const blob = join(repository, 'blobs/sha256', descriptor.digest.slice('sha256:'.length))
      if (!blobSet.has(blob)) {
        const tag = descriptor.annotations?.[REF_NAME_ANNOTATION] ?? 'untagged'
        problems.push(
          `${repository}/index.json lists ${descriptor.digest} (${tag}), which is missing`,
        )
      }
    }
  }
  const repositories = indexFiles.map((file) =>
    relative(rootDirectory, file.slice(0, -'/index.json'.length)),
  )
  return { repositories, blobCount: blobFiles.length, problems }
}

function isBlobFile(path: string): boolean {
  const parts = path.split('/')
  return parts.at(-3) === 'blobs' && parts.at(-2) === 'sha256'
}

async function hashFile(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher('sha256')
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk)
  return hasher.digest('hex')
}
