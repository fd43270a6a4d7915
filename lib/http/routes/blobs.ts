/**
 * @module
 * `/v2/<name>/blobs/<digest>`: HEAD, GET (with single byte ranges), DELETE.
 */
import { RegistryError } from '../../errors/registry-error'
import { requireDigest } from '../../oci/digest'
import { parseRangeHeader } from '../ranges'
import { noContent, type ResourceHandlers, type TargetOf } from './handler'
import type { ContentSource } from '../../registry/content-source'

const blobHeaders = (digest: string): Record<string, string> => ({
  'Docker-Content-Digest': digest,
  'Accept-Ranges': 'bytes',
  'Content-Type': 'application/octet-stream',
  ETag: `"${digest}"`,
  // Content-addressed: the bytes behind a digest never change.
  'Cache-Control': 'max-age=31536000',
})

async function statOrThrow(source: ContentSource, target: TargetOf<'blob'>) {
  const digest = requireDigest(target.digest).value
  const stat = await source.statBlob(target.repository, digest)
  if (!stat) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest } })
  return { digest, size: stat.size }
}

export const blobHandlers: ResourceHandlers<'blob'> = ({ registry, source, redirectBlobs }) => ({
  async HEAD(_c, target) {
    const { digest, size } = await statOrThrow(source, target)
    registry.events.emit('blobTouched', target.repository, digest)
    return new Response(null, { status: 200, headers: { ...blobHeaders(digest), 'Content-Length': String(size) } })
  },

  async GET(c, target) {
    const { digest, size } = await statOrThrow(source, target)
    if (redirectBlobs && !c.req.header('Range')) {
      // Only blobs held here: a pull-through fill still streams through the registry.
      const url = (await registry.blobs.exists(target.repository, digest)) ? await registry.blobs.redirectURL(target.repository, digest) : undefined
      if (url) return new Response(null, { status: 307, headers: { Location: url, 'Docker-Content-Digest': digest } })
    }
    const range = parseRangeHeader(c.req.header('Range'), size)
    if (range === 'unsatisfiable') {
      throw new RegistryError('RANGE_INVALID', {
        detail: { description: `the blob has ${size} bytes`, digest },
        headers: { 'Content-Range': `bytes */${size}` },
      })
    }
    if (!range) {
      const content = await source.openBlob(target.repository, digest)
      return new Response(content, { status: 200, headers: { ...blobHeaders(digest), 'Content-Length': String(size) } })
    }
    const length = range.end - range.start + 1
    const content = await source.openBlob(target.repository, digest, { offset: range.start, length })
    return new Response(content, {
      status: 206,
      headers: { ...blobHeaders(digest), 'Content-Length': String(length), 'Content-Range': `bytes ${range.start}-${range.end}/${size}` },
    })
  },

  async DELETE(_c, target) {
    const digest = requireDigest(target.digest).value
    await registry.indexes.locked(target.repository, async () => {
      if (!(await registry.blobs.exists(target.repository, digest))) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest } })
      const user = await registry.manifests.blobUser(target.repository, digest)
      if (user) {
        throw new RegistryError('DENIED', {
          status: 405,
          message: 'blob is in use',
          detail: { description: `manifest ${user} references this blob; delete the manifest first`, digest },
        })
      }
      await registry.blobs.delete(target.repository, digest)
    })
    return noContent(202, {})
  },
})
