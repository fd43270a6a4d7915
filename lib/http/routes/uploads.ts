/**
 * @module
 * Blob uploads: `POST /v2/<name>/blobs/uploads/` (session, monolithic `?digest=`, cross-repository
 * `?mount=&from=`) and `/v2/<name>/blobs/uploads/<uuid>` (PATCH, PUT, GET status, DELETE).
 */
import { RegistryError } from '../../errors/registry-error'
import { parseDigest, requireDigest } from '../../oci/digest'
import { isValidRepositoryName } from '../../oci/names'
import type { Registry } from '../../registry/registry'
import { rangeHeader, type UploadStatus } from '../../registry/upload-store'
import { parseContentRange, type ByteRange } from '../ranges'
import { noContent, type ResourceHandlers } from './handler'
import { uploadOwner } from './upload-owner'

const sessionHeaders = (status: UploadStatus): Record<string, string> => ({
  Location: `/v2/${status.repository}/blobs/uploads/${status.id}`,
  Range: rangeHeader(status.size),
  'Docker-Upload-UUID': status.id,
})

const blobCreated = (registry: Registry, repository: string, digest: string): Response => {
  registry.events.emit('blobTouched', repository, digest)
  return noContent(201, { Location: `/v2/${repository}/blobs/${digest}`, 'Docker-Content-Digest': digest })
}

/** The chunk's declared range; its length must agree with Content-Length when both are sent. */
function chunkRange(contentRange: string | undefined, contentLength: string | undefined): ByteRange | undefined {
  const range = parseContentRange(contentRange)
  if (range === 'invalid') {
    throw new RegistryError('BLOB_UPLOAD_INVALID', { status: 416, detail: { description: 'Content-Range must be <start>-<end>', contentRange } })
  }
  if (range && contentLength !== undefined && Number(contentLength) !== range.end - range.start + 1) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', {
      status: 416,
      detail: { description: 'Content-Length does not match Content-Range', contentRange, contentLength },
    })
  }
  return range
}

export const uploadStartHandlers: ResourceHandlers<'uploads'> = ({ registry, readable }) => ({
  async POST(c, target) {
    const { repository } = target
    const mount = c.req.query('mount')
    const from = c.req.query('from')
    // A mount copies from another repository: only from one the client may read.
    const mountable = from !== undefined && isValidRepositoryName(from) && readable(c.get('principal'), [from]).length > 0
    if (mount !== undefined && parseDigest(mount) && from !== undefined && mountable) {
      if (await registry.blobs.mount(from, repository, mount)) {
        await registry.indexes.ensure(repository)
        return blobCreated(registry, repository, mount)
      }
    }
    const digest = c.req.query('digest')
    if (digest !== undefined) {
      const result = await registry.uploads.upload(repository, digest, c.req.raw.body, uploadOwner(c))
      return blobCreated(registry, repository, result.digest)
    }
    return noContent(202, sessionHeaders(await registry.uploads.start(repository, uploadOwner(c))))
  },
})

export const uploadSessionHandlers: ResourceHandlers<'upload'> = ({ registry }) => ({
  async GET(_c, target) {
    return noContent(204, sessionHeaders(await registry.uploads.status(target.repository, target.uploadId)))
  },

  async PATCH(c, target) {
    const range = chunkRange(c.req.header('Content-Range'), c.req.header('Content-Length'))
    const status = await registry.uploads.append(target.repository, target.uploadId, c.req.raw.body, { range, owner: uploadOwner(c) })
    return noContent(202, sessionHeaders(status))
  },

  async PUT(c, target) {
    const digest = c.req.query('digest')
    if (digest === undefined) {
      throw new RegistryError('DIGEST_INVALID', { message: 'digest missing', detail: { description: 'PUT needs ?digest=<digest> to complete an upload' } })
    }
    requireDigest(digest)
    const range = chunkRange(c.req.header('Content-Range'), c.req.header('Content-Length'))
    const body = c.req.raw.body
    const owner = uploadOwner(c)
    if (range) await registry.uploads.append(target.repository, target.uploadId, body, { range, owner })
    const result = await registry.uploads.finish(target.repository, target.uploadId, digest, range ? null : body, { owner })
    return blobCreated(registry, target.repository, result.digest)
  },

  async DELETE(_c, target) {
    await registry.uploads.cancel(target.repository, target.uploadId)
    return noContent(204, {})
  },
})
