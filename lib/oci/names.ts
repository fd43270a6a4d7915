/**
 * @module
 * The distribution spec's grammar for repository names and tags, plus one rule of our own: no
 * path component of a name may be a name the storage layout uses. Names are checked before they
 * touch storage, so a valid name is always a safe relative path that lands in its own directory,
 * never inside another repository's layout.
 */
import { RegistryError } from '../errors/registry-error'

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*'
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/
const MAX_NAME_LENGTH = 255

/**
 * Every name the storage uses for something other than a nested repository: inside a repository
 * directory (zot's OCI layout, its sync and our quarantine and S3 part directories) and at the
 * storage root (auth and metadata state, temporaries, zot's databases). Repositories are
 * directories too, so `prod/app/blobs/sha256/<hex>` or `x/index.json` as a name would map into
 * `prod/app`'s or `x`'s layout and create or replace its files; zot refuses such names as well.
 * Those starting with `.` or `_` fail the grammar anyway; they are listed because the catalog's
 * walk meets them in storage listings and must not take them for repositories.
 */
export const STORAGE_LAYOUT_NAMES: ReadonlySet<string> = new Set([
  // A repository's OCI image layout.
  'blobs',
  'index.json',
  'oci-layout',
  // Upload sessions: ours and zot's (.uploads), distribution's (_uploads), containerd's (ingest).
  '.uploads',
  '_uploads',
  'ingest',
  // zot's sync downloads, scrub's quarantine, S3 upload parts, the local driver's temporaries.
  '.sync',
  '.quarantine',
  '.parts',
  '.tmp',
  // The storage root: API keys and bucket metadata, the SQLite metadata store, zot's databases.
  '_zot',
  '_meta.sqlite',
  'cache.db',
  'meta.db',
])

export function isValidRepositoryName(name: string): boolean {
  return (
    name.length <= MAX_NAME_LENGTH &&
    NAME.test(name) &&
    !name.split('/').some((component) => STORAGE_LAYOUT_NAMES.has(component))
  )
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag)
}

export function requireRepositoryName(name: string): string {
  if (!isValidRepositoryName(name)) {
    throw new RegistryError('NAME_INVALID', {
      detail: {
        description:
          'repository names are lower-case components ([a-z0-9] with . _ __ - inside) joined by /, at most 255 characters; ' +
          `no component may be a storage layout name (${[...STORAGE_LAYOUT_NAMES].join(', ')})`,
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
