/**
 * @module
 * The distribution spec's grammar for repository names and tags. Names are checked before they
 * touch storage, so a valid name is always a safe relative path.
 */
import { RegistryError } from '../errors/registry-error'

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*'
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/
const MAX_NAME_LENGTH = 255

export function isValidRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME.test(name)
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag)
}

export function requireRepositoryName(name: string): string {
  if (!isValidRepositoryName(name)) {
    throw new RegistryError('NAME_INVALID', {
      detail: {
        description: 'repository names are lower-case components ([a-z0-9] with . _ __ - inside) joined by /, at most 255 characters',
        name,
      },
    })
  }
  return name
}

export function requireTag(tag: string): string {
  if (!isValidTag(tag)) {
    throw new RegistryError('MANIFEST_INVALID', {
      message: 'invalid tag',
      detail: { description: 'tags match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', tag },
    })
  }
  return tag
}
