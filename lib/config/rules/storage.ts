/**
 * @module
 * Checks of `storage` (docs/zot-compatibility.md 1.1 "gc", "retention", "storage roots", "cache",
 * "storage driver"): GC timing, store roots, drivers, the dedupe cache and retention patterns.
 */
import { resolve, sep } from 'node:path'
import { formatDuration } from '../values/duration'
import { childPath, itemPath } from '../findings'
import { goRegexProblem } from '../values/go-regex'
import { GLOB_FIX, globProblem } from '../values/patterns'
import { nearest } from '../advice/suggest'
import { allStores, describeStore, driverName, isRemote, type StoreEntry } from '../stores'
import { s3DriverConfig } from '../schema'
import type { Rule } from './rule'

const STORAGE_DRIVERS = ['s3', 'gcs', 'azure']
const CACHE_DRIVERS = ['redis', 'dynamodb']
const TIME_WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/

export const storageRules: readonly Rule[] = [
  {
    severity: 'error',
    summary: '`gcDelay` or `gcInterval` is negative; a sub-store with `gc: true` has `gcDelay` ≤ 0.',
    check(config, report) {
      for (const entry of allStores(config)) {
        const { path, store, route } = entry
        for (const key of ['gcDelay', 'gcInterval'] as const) {
          if (store[key] < 0) {
            report(`${path}.${key}`, 'must not be negative', {
              value: formatDuration(store[key]),
              fix: 'use "0s" or more',
            })
          }
        }
        if (route !== undefined && store.gc && store.gcDelay === 0) {
          report(`${path}.gcDelay`, `${describeStore(entry)} has gc on, which needs a gcDelay above 0`, {
            value: '0s',
            fix: 'remove the key (1h is used) or set a positive duration such as "1h"',
          })
        }
      }
    },
  },
  {
    severity: 'warning',
    summary: '`gcDelay`, `gcInterval` or `gcTimeWindow` set while `gc` is false (ignored).',
    check(config, report) {
      for (const { path, store } of allStores(config)) {
        if (store.gc) continue
        const ignored = (['gcDelay', 'gcInterval'] as const).filter((key) => store[key] !== 0)
        const keys = store.gcTimeWindow === undefined ? ignored : [...ignored, 'gcTimeWindow']
        for (const key of keys) {
          report(`${path}.${key}`, 'ignored because `gc` is false', {
            fix: 'remove it, or set "gc": true',
          })
        }
      }
    },
  },
  {
    severity: 'error',
    summary: '`gcTimeWindow` is not `HH:MM-HH:MM` (UTC) or starts and ends at the same time.',
    check(config, report) {
      for (const { path, store } of allStores(config)) {
        const window = store.gcTimeWindow
        if (window === undefined) continue
        const match = TIME_WINDOW.exec(window)
        if (!match)
          report(`${path}.gcTimeWindow`, 'expected a UTC time window `HH:MM-HH:MM`', {
            value: window,
            fix: 'write e.g. "01:00-05:00"',
          })
        else if (window.slice(0, 5) === window.slice(6)) {
          report(`${path}.gcTimeWindow`, 'the window starts and ends at the same time', {
            value: window,
            fix: 'give the window a length, e.g. "01:00-05:00"',
          })
        }
      }
    },
  },
  {
    severity: 'error',
    summary: 'Two stores with the same driver share a root directory, or one root is inside another.',
    check(config, report) {
      const stores = allStores(config).filter(({ store }) => store.rootDirectory !== '')
      for (const [index, entry] of stores.entries()) {
        for (const other of stores.slice(0, index)) {
          if (driverName(entry.store) !== driverName(other.store)) continue
          const conflict = rootConflict(entry, other)
          if (conflict) {
            report(`${entry.path}.rootDirectory`, conflict, {
              value: entry.store.rootDirectory,
              fix: 'give every store its own directory side by side, e.g. /srv/zot/main and /srv/zot/prod',
            })
          }
        }
      }
    },
  },
  {
    severity: 'error',
    summary: '`storageDriver.name` is `gcs` or `azure`: zot drivers this build does not have (serve cannot run them).',
    check(config, report) {
      for (const { path, store } of allStores(config)) {
        const name = store.storageDriver?.name
        if (name !== 'gcs' && name !== 'azure') continue
        report(`${path}.storageDriver.name`, `the ${name} driver is not implemented yet; serve cannot run this store`, {
          value: name,
          fix:
            name === 'gcs'
              ? 'use "s3" with GCS\'s S3-compatible endpoint (regionendpoint https://storage.googleapis.com, HMAC keys), or local disk'
              : 'use "s3" through an S3-compatible gateway, or local disk',
        })
      }
    },
  },
  {
    severity: 'error',
    summary: '`storageDriver.name` is not `s3`, `gcs` or `azure`; `redirectBlobURL` with local storage.',
    check(config, report) {
      for (const { path, store } of allStores(config)) {
        const name = store.storageDriver?.name
        if (store.storageDriver !== undefined && !STORAGE_DRIVERS.includes(String(name))) {
          const suggestion = typeof name === 'string' ? nearest(name, STORAGE_DRIVERS) : undefined
          report(
            `${path}.storageDriver.name`,
            name === undefined ? 'missing: the driver needs a name' : 'unsupported storage driver',
            {
              value: name,
              fix: suggestion
                ? `did you mean "${suggestion}"?`
                : 'use "s3", "gcs" or "azure", or remove storageDriver for local disk',
            },
          )
        }
        if (store.redirectBlobURL && !isRemote(store)) {
          report(`${path}.redirectBlobURL`, 'only works with remote storage (a presigned URL needs a storageDriver)', {
            value: true,
            fix: 'remove it, or configure a storageDriver',
          })
        }
      }
    },
  },
  {
    severity: 'error',
    summary: 'S3 without `region` or `regionendpoint`; only one of `accesskey` and `secretkey`.',
    check(config, report) {
      for (const { path, store } of allStores(config)) {
        const s3 = s3DriverConfig(store.storageDriver)
        if (!s3) continue
        if (s3.region === '')
          report(`${path}.storageDriver.region`, 'required for the s3 driver (or set regionendpoint)', {
            fix: 'add "region": "us-east-1" (the region of the bucket), or "regionendpoint" for an S3-compatible server',
          })
        if ((s3.accesskey === undefined) !== (s3.secretkey === undefined)) {
          const missing = s3.accesskey === undefined ? 'accesskey' : 'secretkey'
          report(`${path}.storageDriver.${missing}`, 'missing: set both accesskey and secretkey, or neither', {
            fix: `add "${missing}", or remove the other one to use the AWS credential chain`,
          })
        }
      }
    },
  },
  {
    severity: 'warning',
    summary: 'S3 `regionendpoint` without `forcepathstyle`: path-style addressing is used.',
    check(config, report, isSet) {
      for (const { path, store } of allStores(config)) {
        const s3 = s3DriverConfig(store.storageDriver)
        if (!s3 || !isSet(`${path}.storageDriver.regionendpoint`) || isSet(`${path}.storageDriver.forcepathstyle`))
          continue
        report(
          `${path}.storageDriver.forcepathstyle`,
          'not set while `regionendpoint` is; path-style addressing is used',
          {
            fix: 'add "forcepathstyle": true (or false if the endpoint supports virtual-hosted buckets)',
          },
        )
      }
    },
  },
  {
    severity: 'warning',
    summary:
      "`dedupe` on S3: duplicates become zot's zero-byte placeholders, which zot reads only once its own " +
      'dedupe cache knows them (docs/s3.md "Dedupe").',
    check(config, report) {
      for (const { path, store } of allStores(config)) {
        if (!store.dedupe || !s3DriverConfig(store.storageDriver)) continue
        report(
          `${path}.dedupe`,
          'on S3 a blob already stored in another repository is written as a zero-byte placeholder, as zot ' +
            'does; zot resolves those through its own dedupe cache, which learns the ones written here only ' +
            'at its next start (its dedupe walk)',
          {
            fix:
              'keep it and restart zot before it serves this bucket again, or run "zot dedupe --restore" ' +
              'before handing the bucket back; "dedupe": false stores full copies any zot reads',
          },
        )
      }
    },
  },
  {
    severity: 'error',
    summary:
      'Dedupe on remote storage with `remoteCache` (the default there) but no `cacheDriver`; a remote ' +
      'cache that the store cannot use (local storage needs `redis`, sub-stores need `dynamodb` and remote ' +
      'storage); a `cacheDriver.name` other than `redis` or `dynamodb`.',
    check(config, report) {
      for (const entry of allStores(config)) {
        const { path, store, route } = entry
        if (store.dedupe && isRemote(store) && store.remoteCache && store.cacheDriver === undefined) {
          report(
            `${path}.cacheDriver`,
            `${describeStore(entry)} dedupes on remote storage, which needs a shared cache, and none is configured`,
            {
              fix:
                'add a cacheDriver (redis or dynamodb), or set "remoteCache": false (single ' +
                'instance, local cache), or "dedupe": false',
            },
          )
        }
        if (store.cacheDriver === undefined || !store.remoteCache) continue
        const name = String(store.cacheDriver.name ?? '')
        const cachePath = `${path}.cacheDriver.name`
        if (!CACHE_DRIVERS.includes(name)) {
          report(cachePath, 'unsupported cache driver', {
            value: store.cacheDriver.name,
            fix: 'use "redis" or "dynamodb"',
          })
        } else if (route === undefined && !isRemote(store) && name !== 'redis') {
          report(cachePath, 'with local storage the only remote cache is redis', {
            value: name,
            fix: 'use "redis", or remove cacheDriver',
          })
        } else if (route !== undefined && (!isRemote(store) || name !== 'dynamodb')) {
          report(cachePath, 'a sub-store can only use a dynamodb cache, and only with remote storage', {
            value: name,
            fix: 'remove cacheDriver from this sub-store, or use dynamodb with a storageDriver',
          })
        }
      }
    },
  },
  {
    severity: 'warning',
    summary: '`cacheDriver` set while `remoteCache` is false (ignored; the local cache is used).',
    check(config, report) {
      for (const { path, store } of allStores(config)) {
        if (store.cacheDriver !== undefined && !store.remoteCache) {
          report(`${path}.cacheDriver`, 'ignored because `remoteCache` is false; the local cache database is used', {
            fix: 'set "remoteCache": true to use it, or remove it',
          })
        }
      }
    },
  },
  {
    severity: 'error',
    summary: 'A retention `repositories` glob or `keepTags` pattern does not compile.',
    check(config, report) {
      for (const { path, store } of allStores(config)) {
        for (const [index, policy] of store.retention.policies.entries()) {
          const policyPath = itemPath(`${path}.retention.policies`, index)
          for (const [globIndex, glob] of policy.repositories.entries()) {
            const problem = globProblem(glob)
            if (problem)
              report(itemPath(`${policyPath}.repositories`, globIndex), `the glob ${problem}`, {
                value: glob,
                fix: GLOB_FIX,
              })
          }
          for (const [ruleIndex, rule] of policy.keepTags.entries()) {
            for (const [patternIndex, pattern] of rule.patterns.entries()) {
              const problem = goRegexProblem(pattern)
              const patternPath = itemPath(
                childPath(itemPath(`${policyPath}.keepTags`, ruleIndex), 'patterns'),
                patternIndex,
              )
              if (problem)
                report(patternPath, `not a valid regular expression: ${problem}`, {
                  value: pattern,
                })
            }
          }
        }
      }
    },
  },
]

function rootConflict(entry: StoreEntry, other: StoreEntry): string | undefined {
  const root = resolve(entry.store.rootDirectory)
  const otherRoot = resolve(other.store.rootDirectory)
  const name = describeStore(entry)
  const otherName = describeStore(other)
  if (root.toLowerCase() === otherRoot.toLowerCase()) return `${name} uses the same root directory as ${otherName}`
  if (root.startsWith(otherRoot + sep)) return `${name} is inside the root directory of ${otherName}`
  if (otherRoot.startsWith(root + sep)) return `the root directory of ${otherName} is inside the one of ${name}`
  return undefined
}
