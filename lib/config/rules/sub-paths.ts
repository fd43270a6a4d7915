/**
 * @module
 * Checks of `storage.subPaths` routes and of stores that would share data
 * (docs/zot-compatibility.md 1.1 "storage roots", 6.1). zot takes the first path component of a
 * repository name and looks up `/<component>`; a route of another shape is accepted there and
 * never matches, so its repositories silently land in the default store. Here such a route is an
 * error naming the route that would work. Two routes differing only in case are one route in
 * zot (its config reader lower-cases map keys). Two S3 stores on the same objects of one bucket
 * would each collect the other's blobs as unreferenced.
 */
import { isValidRepositoryName } from '../../oci/names'
import { keyPrefixFor } from '../../storage/s3/options'
import { entryPath } from '../findings'
import { s3DriverConfig } from '../schema'
import { allStores, describeStore } from '../stores'
import type { Rule } from './rule'

/** Why `route` can never select a store, or undefined when it is `/<first path component>`. */
function routeProblem(route: string): { message: string; fix: string } | undefined {
  const trimmed = route.replace(/^\/+|\/+$/g, '')
  const first = trimmed.split('/')[0] ?? ''
  const suggestion = first !== '' && isValidRepositoryName(first.toLowerCase()) ? `/${first.toLowerCase()}` : undefined
  const use = (why: string) => (suggestion ? `use "${suggestion}" (${why})` : why)
  if (trimmed === '')
    return {
      message: 'a route names the first path component of the repositories it serves',
      fix: 'write e.g. "/team"; repositories without a route are stored in the default store',
    }
  if (trimmed.includes('/'))
    return {
      message: 'a route is one path component: only the first component of a repository name selects a store',
      fix: use(`it serves every repository under ${first}/`),
    }
  if (!isValidRepositoryName(trimmed.toLowerCase()))
    return {
      message: 'not a path component a repository name can start with',
      fix: 'use lower-case letters and digits, separated by ".", "_", "__" or "-", e.g. "/team"',
    }
  if (!route.startsWith('/') || route.endsWith('/'))
    return { message: 'a route is "/" followed by the first path component', fix: use('the form zot matches') }
  return undefined
}

/** The objects an S3 store holds: its endpoint, bucket and key prefix. */
function s3Objects(driver: Parameters<typeof s3DriverConfig>[0]): { place: string; prefix: string } | undefined {
  const s3 = s3DriverConfig(driver)
  if (!s3) return undefined
  return { place: `${s3.regionendpoint ?? ''} ${s3.region} ${s3.bucket}`, prefix: keyPrefixFor(s3.rootdirectory) }
}

export const subPathRules: readonly Rule[] = [
  {
    severity: 'error',
    summary:
      'A `subPaths` route that is not `/<first path component>` (zot never matches it), or two routes ' +
      'that differ only in case.',
    check(config, report) {
      const seen = new Map<string, string>()
      for (const route of Object.keys(config.storage.subPaths ?? {})) {
        const path = entryPath('storage.subPaths', route)
        const problem = routeProblem(route)
        if (problem) {
          report(path, problem.message, { value: route, ...problem })
          continue
        }
        const same = seen.get(route.toLowerCase())
        if (same !== undefined)
          report(path, `the same route as ${JSON.stringify(same)}: routes are compared without case`, {
            value: route,
            fix: 'keep one of the two entries',
          })
        seen.set(route.toLowerCase(), route)
      }
    },
  },
  {
    severity: 'error',
    summary: 'Two S3 stores on the same bucket whose key prefixes (`rootdirectory`) are equal or nested.',
    check(config, report) {
      const stores = allStores(config).flatMap((entry) => {
        const objects = s3Objects(entry.store.storageDriver)
        return objects ? [{ entry, ...objects }] : []
      })
      for (const [index, store] of stores.entries()) {
        const other = stores
          .slice(0, index)
          .find(
            (candidate) =>
              candidate.place === store.place &&
              (candidate.prefix.startsWith(store.prefix) || store.prefix.startsWith(candidate.prefix)),
          )
        if (!other) continue
        report(
          `${store.entry.path}.storageDriver.rootdirectory`,
          `${describeStore(store.entry)} would store its objects among those of ${describeStore(other.entry)} in the same bucket`,
          {
            value: store.entry.store.storageDriver?.rootdirectory ?? '',
            fix: 'give each store its own bucket, or side-by-side rootdirectory values such as /zot and /zot-team',
          },
        )
      }
    },
  },
]
