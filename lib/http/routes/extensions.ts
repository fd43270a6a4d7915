/**
 * @module
 * The extension endpoints the distribution handlers answer themselves: the OCI extension list
 * (`/v2/_oci/ext/discover`) and zot's management info (`/v2/_zot/ext/mgmt`). Other `_zot`
 * extensions (search, user preferences) are routes mounted before the API; an extension this
 * server does not have is a 404, as in zot.
 */
import { RegistryError } from '../../errors/registry-error'
import { json, type ResourceHandlers } from './handler'

/** What the two endpoints answer, fixed for a configuration. */
export interface ExtensionEndpoints {
  discover: {
    extensions: { name: string; url: string; description: string; endpoints: string[] }[]
  }
  /** Absent when zot would not serve it (search off). */
  mgmt?: Record<string, unknown>
}

export const extensionHandlers: ResourceHandlers<'extension'> = ({ extensions }) => {
  const body = (name: string): unknown => {
    const answer = name === 'discover' ? extensions.discover : name === 'mgmt' ? extensions.mgmt : undefined
    if (answer !== undefined) return answer
    throw new RegistryError('UNSUPPORTED', { status: 404, message: 'not found', detail: { extension: name } })
  }
  // Another method on an extension that exists is 405; on one that does not (search or
  // userprefs turned off), 404 as zot answers for routes it never registered.
  const refuse = (_c: unknown, target: { name: string }): never => {
    body(target.name)
    throw new RegistryError('UNSUPPORTED', {
      detail: { description: `only GET is supported on this endpoint`, extension: target.name },
    })
  }
  return {
    GET: (_c, target) => json(body(target.name)),
    HEAD: (_c, target) => json(body(target.name)),
    POST: refuse,
    PUT: refuse,
    PATCH: refuse,
    DELETE: refuse,
  }
}
