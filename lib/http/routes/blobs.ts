/**
 * @module
 * `/v2/<name>/blobs/<digest>`: HEAD, GET (with single byte ranges), DELETE.
 */
import { RegistryError } from '../../errors/registry-error'
import { parseRangeHeader } from '../ranges'
import { noContent, type ResourceHandlers } from './handler'

const blobHeaders = (digest: string): Record<string, string> => ({
  'Docker-Content-Digest': digest,
  'Accept-Ranges': 'bytes',
  'Content-Type': 'application/octet-stream',
  ETag: `"${digest}"`,
  // Content-addressed: the bytes behind a digest never change.
  'Cache-Control': 'max-age=31536000',
})

export const blobHandlers: ResourceHandlers<'blob'> = ({ registry, pulls, redirectBlobs }) => ({
  async HEAD(c, target) {
    const { digest, size } = await pulls(c).checkBlob(target.repository, target.digest)
    return new Response(null, { status: 200, headers: { ...blobHeaders(digest), 'Content-Length': String(size) } })
  },

  async GET(c, target) {
    const { digest, size } = await pulls(c).findBlob(target.repository, target.digest)
    if (redirectBlobs(target.repository) && !c.req.header('Range')) {
      const url = await registry.blobRedirectURL(target.repository, digest)
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
      const content = await pulls(c).openBlob(target.repository, digest)
      return new Response(content, { status: 200, headers: { ...blobHeaders(digest), 'Content-Length': String(size) } })
    }
    const length = range.end - range.start + 1
    const content = await pulls(c).openBlob(target.repository, digest, { offset: range.start, length })
    return new Response(content, {
      status: 206,
      headers: {
        ...blobHeaders(digest),
        'Content-Length': String(length),
        'Content-Range': `bytes ${range.start}-${range.end}/${size}`,
      },
    })
  },

  async DELETE(_c, target) {
    await registry.deleteBlob(target.repository, target.digest)
    return noContent(202, {})
  },
})
