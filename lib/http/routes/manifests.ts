/**
 * @module
 * `/v2/<name>/manifests/<reference>`: HEAD and GET by tag or digest (the stored media type, never
 * converted: `Accept` is not consulted), PUT (with `?tag=`), DELETE by tag (the tag) or by digest.
 */
import type { Descriptor } from '../../oci/manifest'
import { MAX_MANIFEST_BYTES } from '../../oci/manifest'
import { readLimitedBody } from '../read-body'
import { noContent, type ResourceHandlers } from './handler'

const manifestHeaders = (descriptor: Descriptor): Record<string, string> => ({
  'Content-Type': descriptor.mediaType,
  'Content-Length': String(descriptor.size),
  'Docker-Content-Digest': descriptor.digest,
  ETag: `"${descriptor.digest}"`,
})

export const manifestHandlers: ResourceHandlers<'manifest'> = ({ registry, pulls, lintManifest }) => ({
  async HEAD(c, target) {
    const descriptor = await pulls(c).resolveManifest(target.repository, target.reference)
    return new Response(null, { status: 200, headers: manifestHeaders(descriptor) })
  },

  async GET(c, target) {
    const { descriptor, body } = await pulls(c).pullManifest(target.repository, target.reference)
    return new Response(body, { status: 200, headers: manifestHeaders(descriptor) })
  },

  async PUT(c, target) {
    const body = await readLimitedBody(c.req.raw, MAX_MANIFEST_BYTES)
    const contentType = c.req.header('Content-Type') ?? ''
    await lintManifest?.(registry, { repository: target.repository, reference: target.reference, body, contentType })
    const result = await registry.putManifest(target.repository, target.reference, body, {
      origin: 'push',
      contentType,
      extraTags: c.req.queries('tag') ?? [],
      tagMustBeNew: c.get('tagMustBeNew') === true,
    })
    const headers = new Headers({
      Location: `/v2/${target.repository}/manifests/${result.digest}`,
      'Docker-Content-Digest': result.digest,
      'Content-Length': '0',
    })
    if (result.subject) headers.set('OCI-Subject', result.subject)
    for (const tag of result.tags) headers.append('OCI-Tag', tag)
    return new Response(null, { status: 201, headers })
  },

  async DELETE(_c, target) {
    await registry.deleteManifest(target.repository, target.reference)
    return noContent(202, {})
  },
})
