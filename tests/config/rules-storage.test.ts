/**
 * @module
 * Checks of `storage`: GC timing, store roots, drivers, the dedupe cache, retention.
 */
import { describeRuleCases, type RuleCase, s3 } from './rule-cases'

const CASES: RuleCase[] = [
  {
    title: 'S3 endpoint without path style',
    patch: {
      storage: { dedupe: false, storageDriver: { ...s3, regionendpoint: 'http://minio:9000' } },
    },
    path: 'storage.storageDriver.forcepathstyle',
    message: 'path-style addressing is used',
    severity: 'warning',
  },
  {
    title: 'negative gcDelay',
    patch: { storage: { gcDelay: '-1h' } },
    path: 'storage.gcDelay',
    message: 'must not be negative',
  },
  {
    title: 'negative gcInterval',
    patch: { storage: { gcInterval: '-5m' } },
    path: 'storage.gcInterval',
    message: 'must not be negative',
  },
  {
    title: 'sub-store gc without delay',
    patch: {
      storage: { subPaths: { '/a': { rootDirectory: '/tmp/zot-a', gc: true, gcDelay: '0s' } } },
    },
    path: 'storage.subPaths["/a"].gcDelay',
    message: 'needs a gcDelay above 0',
  },
  {
    title: 'gc settings while gc is off',
    patch: { storage: { gc: false, gcDelay: '2h' } },
    path: 'storage.gcDelay',
    message: 'ignored because `gc` is false',
    severity: 'warning',
  },
  {
    title: 'time window out of range',
    patch: { storage: { gcTimeWindow: '25:00-01:00' } },
    path: 'storage.gcTimeWindow',
    message: 'expected a UTC time window',
  },
  {
    title: 'empty time window',
    patch: { storage: { gcTimeWindow: '01:00-01:00' } },
    path: 'storage.gcTimeWindow',
    message: 'starts and ends at the same time',
  },
  {
    title: 'sub-store sharing the root',
    patch: { storage: { subPaths: { '/a': { rootDirectory: '/tmp/zot-config-test-root' } } } },
    path: 'storage.subPaths["/a"].rootDirectory',
    message: 'uses the same root directory as the default store',
  },
  {
    title: 'sub-store inside the root',
    patch: { storage: { subPaths: { '/a': { rootDirectory: '/tmp/zot-config-test-root/a' } } } },
    path: 'storage.subPaths["/a"].rootDirectory',
    message: 'is inside the root directory of the default store',
  },
  {
    title: 'unknown storage driver',
    patch: { storage: { dedupe: false, storageDriver: { name: 's4' } } },
    path: 'storage.storageDriver.name',
    message: 'unsupported storage driver',
    fix: 'did you mean "s3"?',
  },
  {
    title: 'storage driver without name',
    patch: { storage: { dedupe: false, storageDriver: { bucket: 'zot' } } },
    path: 'storage.storageDriver.name',
    message: 'the driver needs a name',
  },
  {
    title: 'redirect with local storage',
    patch: { storage: { redirectBlobURL: true } },
    path: 'storage.redirectBlobURL',
    message: 'only works with remote storage',
  },
  {
    title: 'remote dedupe without cache',
    patch: { storage: { storageDriver: s3 } },
    path: 'storage.cacheDriver',
    message: 'needs a shared cache',
    fix: '"remoteCache": false',
  },
  {
    title: 'dedupe on S3 writes zot placeholders zot reads only through its cache',
    patch: { storage: { remoteCache: false, storageDriver: s3 } },
    path: 'storage.dedupe',
    severity: 'warning',
    message: 'zero-byte placeholder',
    fix: 'zot dedupe --restore',
  },
  {
    title: 'local storage with dynamodb',
    patch: { storage: { remoteCache: true, cacheDriver: { name: 'dynamodb' } } },
    path: 'storage.cacheDriver.name',
    message: 'the only remote cache is redis',
  },
  {
    title: 'unknown cache driver',
    patch: { storage: { storageDriver: s3, cacheDriver: { name: 'memcached' } } },
    path: 'storage.cacheDriver.name',
    message: 'unsupported cache driver',
  },
  {
    title: 'sub-store with redis',
    patch: {
      storage: {
        subPaths: {
          '/a': {
            rootDirectory: '/tmp/zot-a',
            storageDriver: s3,
            remoteCache: true,
            cacheDriver: { name: 'redis' },
          },
        },
      },
    },
    path: 'storage.subPaths["/a"].cacheDriver.name',
    message: 'only use a dynamodb cache',
  },
  {
    title: 'cache driver without remote cache',
    patch: { storage: { remoteCache: false, cacheDriver: { name: 'redis' } } },
    path: 'storage.cacheDriver',
    message: 'ignored because `remoteCache` is false',
    severity: 'warning',
  },
  {
    title: 'retention glob',
    patch: { storage: { retention: { policies: [{ repositories: ['infra/[abc'] }] } } },
    path: 'storage.retention.policies[0].repositories[0]',
    message: 'character class',
    fix: 'doublestar syntax',
  },
  {
    title: 'retention tag regex',
    patch: {
      storage: {
        retention: { policies: [{ repositories: ['**'], keepTags: [{ patterns: ['v(1'] }] }] },
      },
    },
    path: 'storage.retention.policies[0].keepTags[0].patterns[0]',
    message: 'not a valid regular expression',
  },
]

describeRuleCases('storage rules', CASES)
