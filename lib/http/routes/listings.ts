/**
 * @module
 * The listing endpoints: `/v2/`, `/v2/_catalog`, `/v2/<name>/tags/list` and
 * `/v2/<name>/referrers/<digest>`.
 */
import { MediaType } from '../../oci/media-types'
import { paginate } from '../pagination'
import { json, type ResourceHandlers } from './handler'

export const baseHandlers: ResourceHandlers<'base'> = () => ({
  GET: () => json({}),
  HEAD: () => json({}),
})

export const catalogHandlers: ResourceHandlers<'catalog'> = ({ registry, readable }) => ({
  async GET(c) {
    const visible = readable(c.get('principal'), await registry.catalog.list(), c)
    const page = paginate(visible, { n: c.req.query('n'), last: c.req.query('last') }, '/v2/_catalog')
    return json({ repositories: page.items }, page.link ? { Link: page.link } : {})
  },
})

export const tagsHandlers: ResourceHandlers<'tags'> = ({ pulls }) => ({
  async GET(c, target) {
    const tags = await pulls(c).listTags(target.repository)
    const page = paginate(
      tags,
      { n: c.req.query('n'), last: c.req.query('last') },
      `/v2/${target.repository}/tags/list`,
    )
    return json({ name: target.repository, tags: page.items }, page.link ? { Link: page.link } : {})
  },
})

export const referrersHandlers: ResourceHandlers<'referrers'> = ({ pulls }) => ({
  async GET(c, target) {
    const artifactType = c.req.query('artifactType')
    const manifests = await pulls(c).listReferrers(target.repository, target.digest, artifactType)
    const headers: Record<string, string> = { 'Content-Type': MediaType.ociIndex }
    if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType'
    return json({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, headers)
  },
})
