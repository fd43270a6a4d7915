/**
 * @module
 * Blob uploads: `POST /v2/<name>/blobs/uploads/` (session, monolithic `?digest=`, cross-repository
 * `?mount=&from=`) and `/v2/<name>/blobs/uploads/<uuid>` (PATCH, PUT, GET status, DELETE).
 */
import { RegistryError } from '../../errors/registry-error'
import { requireDigest } from '../../oci/digest'
import { rangeHeader, type UploadStatus } from '../../registry/registry'
import { parseContentRange, type ByteRange } from '../ranges'
import { noContent, type ResourceHandlers } from './handler'
import { uploadOwner } from './upload-owner'

const sessionHeaders = (status: UploadStatus): Record<string, string> => ({
  Location: `/v2/${status.repository}/blobs/uploads/${status.id}`,
  Range: rangeHeader(status.size),
  'Docker-Upload-UUID': status.id,
})

const blobCreated = (repository: string, digest: string): Response =>
  noContent(201, { Location: `/v2/${repository}/blobs/${digest}`, 'Docker-Content-Digest': digest })

/** The chunk's declared range; its length must agree with Content-Length when both are sent. */
function chunkRange(contentRange: string | undefined, contentLength: string | undefined): ByteRange | undefined {
  const range = parseContentRange(contentRange)
  if (range === 'invalid') {
    throw new RegistryError('BLOB_UPLOAD_INVALID', {
      status: 416,
      detail: { description: 'Content-Range must be <start>-<end>', contentRange },
    })
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
    // A mount copies from another repository: only from one the client may read. Otherwise (or
    // when there is nothing to mount) the request goes on as an ordinary upload, as the spec says.
    const mountable = mount !== undefined && from !== undefined && readable(c.get('principal'), [from], c).length > 0
    if (mountable && (await registry.mountBlob(from, repository, mount))) return blobCreated(repository, mount)
    const digest = c.req.query('digest')
    if (digest !== undefined) {
      const stored = await registry.putBlob(repository, digest, c.req.raw.body, {
        origin: 'push',
        owner: uploadOwner(c),
      })
      return blobCreated(repository, stored.digest)
    }
    return noContent(202, sessionHeaders(await registry.startUpload(repository, uploadOwner(c))))
  },
})

export const uploadSessionHandlers: ResourceHandlers<'upload'> = ({ registry }) => ({
  async GET(_c, target) {
    return noContent(204, sessionHeaders(await registry.uploadStatus(target.repository, target.uploadId)))
  },

  async PATCH(c, target) {
    const range = chunkRange(c.req.header('Content-Range'), c.req.header('Content-Length'))
    const status = await registry.appendUpload(target.repository, target.uploadId, c.req.raw.body, {
      range,
      owner: uploadOwner(c),
    })
    return noContent(202, sessionHeaders(status))
  },

  async PUT(c, target) {
    const digest = c.req.query('digest')
    if (digest === undefined) {
      throw new RegistryError('DIGEST_INVALID', {
        message: 'digest missing',
        detail: { description: 'PUT needs ?digest=<digest> to complete an upload' },
      })
    }
    requireDigest(digest)
    const range = chunkRange(c.req.header('Content-Range'), c.req.header('Content-Length'))
    const stored = await registry.finishUpload(target.repository, target.uploadId, digest, c.req.raw.body, {
      range,
      owner: uploadOwner(c),
    })
    return blobCreated(target.repository, stored.digest)
  },

  async DELETE(_c, target) {
    await registry.cancelUpload(target.repository, target.uploadId)
    return noContent(204, {})
  },
})
