/**
 * @module
 * What `verify-config` (and `serve`) refuse in `storage.subPaths`: routes zot would never match,
 * two routes that are one in zot, stores sharing a root or a bucket's objects; and what they
 * accept as zot does (a route written in upper case, side-by-side roots).
 */
import { describe, expect, test } from 'bun:test'
import { describeFindings, errorsOf, inspect } from '../config/helpers'
import { describeRuleCases, type RuleCase, s3 } from '../config/rule-cases'

const ROOT = '/tmp/zot-config-test-root'
const A = '/tmp/zot-config-test-a'
/** subPaths giving each route (key) the root directory (value). */
const routes = (roots: Record<string, string>) => ({
  storage: {
    subPaths: Object.fromEntries(Object.entries(roots).map(([route, rootDirectory]) => [route, { rootDirectory }])),
  },
})
const sub = (route: string) => routes({ [route]: A })

const CASES: RuleCase[] = [
  {
    title: 'a route without the leading slash',
    patch: sub('a'),
    path: 'storage.subPaths.a',
    message: 'a route is "/" followed by the first path component',
    fix: /use "\/a"/,
  },
  {
    title: 'a route of two path components',
    patch: sub('/a/b'),
    path: 'storage.subPaths["/a/b"]',
    message: 'only the first component of a repository name selects a store',
    fix: /use "\/a" \(it serves every repository under a\/\)/,
  },
  {
    title: 'a route with a trailing slash',
    patch: sub('/team/'),
    path: 'storage.subPaths["/team/"]',
    message: 'a route is "/" followed by the first path component',
    fix: /use "\/team"/,
  },
  {
    title: 'the root as a route',
    patch: sub('/'),
    path: 'storage.subPaths["/"]',
    message: 'a route names the first path component',
    fix: /default store/,
  },
  {
    title: 'a route no repository name can start with',
    patch: sub('/my team'),
    path: 'storage.subPaths["/my team"]',
    message: 'not a path component a repository name can start with',
  },
  {
    title: 'two routes that differ only in case',
    patch: routes({ '/team': A, '/Team': '/tmp/zot-config-test-b' }),
    path: 'storage.subPaths["/Team"]',
    message: 'the same route as "/team"',
  },
  {
    title: 'two sub-stores on one root directory',
    patch: routes({ '/a': A, '/b': A }),
    path: 'storage.subPaths["/b"].rootDirectory',
    message: 'uses the same root directory as the store of route /a',
  },
  {
    title: 'a sub-store root inside the default root',
    patch: routes({ '/a': `${ROOT}/a` }),
    path: 'storage.subPaths["/a"].rootDirectory',
    message: 'is inside the root directory of the default store',
    fix: /side by side/,
  },
  {
    title: 'two S3 stores on the same objects of one bucket',
    patch: {
      storage: {
        dedupe: false,
        storageDriver: { ...s3, rootdirectory: '/zot' },
        subPaths: {
          '/a': { rootDirectory: A, storageDriver: { ...s3, rootdirectory: '/zot/' } },
        },
      },
    },
    path: 'storage.subPaths["/a"].storageDriver.rootdirectory',
    message: 'would store its objects among those of the default store in the same bucket',
    fix: /own bucket/,
  },
]

describeRuleCases('storage.subPaths', CASES)

describe('storage.subPaths accepted as zot accepts it', () => {
  test('routes in upper case, side-by-side roots and S3 stores on other prefixes of one bucket', async () => {
    const { findings } = await inspect({
      storage: {
        rootDirectory: ROOT,
        dedupe: false,
        storageDriver: { ...s3, rootdirectory: '/zot' },
        subPaths: {
          '/Team': { rootDirectory: '/tmp/zot-config-test-team' },
          '/b': { rootDirectory: '/tmp/zot-config-test-b', storageDriver: { ...s3, rootdirectory: '/zot-b' } },
        },
      },
      http: { address: '127.0.0.1', port: 5000 },
    })
    expect(errorsOf(findings), describeFindings(findings)).toEqual([])
  })
})
