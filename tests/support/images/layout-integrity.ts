/**
 * @module
 * Checks a zot store the way a crash test must: every blob under `blobs/sha256/` is named by the
 * digest of its content (no half-written blob is visible), every `index.json` parses, and every
 * manifest it lists is present. Works on what is stored (files on disk, objects in a bucket),
 * not through the registry. Returns problems instead of throwing, so a test reports all at once.
 */
import { join } from 'node:path'
import { REF_NAME_ANNOTATION, type Descriptor } from '../oci-layout'
import type { TestStorage } from '../storage-under-test'

const SHA256_HEX = /^[a-f0-9]{64}$/

export interface IntegrityReport {
  repositories: string[]
  blobCount: number
  problems: string[]
}

/**
 * `verified` lists blobs that hashed right in an earlier check of the same storage; they are not
 * read again (a blob is never rewritten in place), which keeps repeated checks on S3 linear. The
 * blobs this check finds intact are added to it.
 */
export async function checkLayoutIntegrity(
  storage: Pick<TestStorage, 'list' | 'read'>,
  verified = new Set<string>(),
): Promise<IntegrityReport> {
  const files = await storage.list()
  const blobFiles = files.filter(isBlobFile)
  const indexFiles = files.filter((file) => file.endsWith('/index.json') && !file.includes('/blobs/'))
  const problems: string[] = []

  for (const file of blobFiles) {
    if (verified.has(file)) continue
    const name = file.slice(file.lastIndexOf('/') + 1)
    if (!SHA256_HEX.test(name)) {
      problems.push(`${file}: not named by a sha256 digest`)
      continue
    }
    const actual = new Bun.CryptoHasher('sha256').update(await storage.read(file)).digest('hex')
    if (actual === name) verified.add(file)
    else problems.push(`${file}: content hashes to ${actual}`)
  }

  const blobSet = new Set(blobFiles)
  const repositoryOf = (indexFile: string) => indexFile.slice(0, -'/index.json'.length)
  for (const file of indexFiles) {
    const repository = repositoryOf(file)
    let manifests: Descriptor[]
    try {
      const text = new TextDecoder().decode(await storage.read(file))
      manifests = (JSON.parse(text) as { manifests: Descriptor[] }).manifests
      if (!Array.isArray(manifests)) throw new Error('no manifests array')
    } catch (error) {
      problems.push(`${repository}/index.json does not parse: ${String(error)}`)
      continue
    }
    for (const descriptor of manifests) {
      const blob = join(repository, 'blobs/sha256', descriptor.digest.slice('sha256:'.length))
      if (!blobSet.has(blob)) {
        const tag = descriptor.annotations?.[REF_NAME_ANNOTATION] ?? 'untagged'
        problems.push(`${repository}/index.json lists ${descriptor.digest} (${tag}), which is missing`)
      }
    }
  }
  return { repositories: indexFiles.map(repositoryOf), blobCount: blobFiles.length, problems }
}

function isBlobFile(path: string): boolean {
  const parts = path.split('/')
  return parts.at(-3) === 'blobs' && parts.at(-2) === 'sha256'
}
