/**
 * Repository squatting into another repository's storage: repositories are directories, so a
 * name like `prod/app/blobs/sha256/<hex>` or `prod/app/index.json` would map into `prod/app`'s own
 * OCI layout and create or replace files of a repository the pusher may not write. Such names are
 * refused (NAME_INVALID), and nothing inside a layout is ever listed as a repository.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { isValidRepositoryName } from '../../lib/oci/names'
import {
  blobPath,
  indexPath,
  META_FILE_NAME,
  ociLayoutPath,
  quarantinePath,
  statePaths,
  syncSpoolDirectory,
  uploadPath,
} from '../../lib/registry/layout'
import { TEMPORARY_DIRECTORY } from '../../lib/storage/local-driver'
import { partsPrefix } from '../../lib/storage/s3/segmented-object'
import { startRegistry } from '../support/server'
import { createTestStorage } from '../support/storage-under-test'
import { pushSmallImage, sha256, startSecurityTarget } from './support'

// prod/app is bob's alone; everything else is open to every user (zot's longest-glob rule).
const target = await startSecurityTarget({
  config: {
    http: {
      accessControl: {
        repositories: {
          'prod/app': {
            policies: [{ users: ['bob'], actions: ['read', 'create', 'update', 'delete'] }],
            defaultPolicy: ['read'],
          },
          '**': { defaultPolicy: ['read', 'create', 'update', 'delete'] },
        },
      },
    },
  },
})
const alice = target.basic('alice')
const bob = target.basic('bob')
const futureBlob = new TextEncoder().encode('a blob prod/app will receive later')
const futureHex = sha256(futureBlob).slice('sha256:'.length)
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

const errorCode = async (response: Response): Promise<string | undefined> =>
  ((await response.json()) as { errors?: { code: string }[] }).errors?.[0]?.code

/** Every stored path under `prefix` is one of the repository's own layout files. */
async function expectOnlyOwnLayout(repository: string): Promise<void> {
  const own = new RegExp(`^${repository}/(index\\.json|oci-layout|blobs/sha256/[a-f0-9]{64})$`)
  const paths = await target.storage.list(repository)
  expect(paths.length).toBeGreaterThan(0)
  expect(paths.filter((path) => !own.test(path) && !path.startsWith(`${repository}/.uploads/`))).toEqual([])
}

describe('names that collide with the storage layout', () => {
  const pushed = pushSmallImage(target, bob, 'prod/app', 'v1')

  test('blob uploads, manifests and reads under layout names are NAME_INVALID and touch nothing', async () => {
    const { manifest, digest } = await pushed
    const attempts: [string, RequestInit][] = [
      [
        `/v2/prod/app/blobs/sha256/${futureHex}/blobs/uploads/?digest=${sha256(futureBlob)}`,
        { method: 'POST', body: futureBlob },
      ],
      [`/v2/prod/app/blobs/sha256/${futureHex}/blobs/uploads/`, { method: 'POST' }],
      [
        '/v2/prod/app/index.json/manifests/v1',
        { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest },
      ],
      ['/v2/prod/app/oci-layout/blobs/uploads/', { method: 'POST' }],
      ['/v2/prod/app/ingest/blobs/uploads/', { method: 'POST' }],
      ['/v2/prod/app/blobs/manifests/v1', { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest }],
      ['/v2/prod/app/ingest/tags/list', {}],
      ['/v2/blobs/tags/list', {}],
    ]
    for (const [path, init] of attempts) {
      const response = await target.request(path, {
        ...init,
        headers: { ...alice, ...(init.headers as Record<string, string>) },
      })
      expect({ path, status: response.status }).toEqual({ path, status: 400 })
      expect(await errorCode(response)).toBe('NAME_INVALID')
    }
    await expectOnlyOwnLayout('prod/app')
    // prod/app can still receive the blob whose path the attacker aimed at.
    const blob = await target.request(`/v2/prod/app/blobs/uploads/?digest=${sha256(futureBlob)}`, {
      method: 'POST',
      headers: bob,
      body: futureBlob,
    })
    expect(blob.status).toBe(201)
    const pulled = await target.request('/v2/prod/app/manifests/v1', { headers: alice })
    expect(pulled.headers.get('Docker-Content-Digest')).toBe(digest)
  })

  test('the other way round: a repository pushed after a squatting attempt on its name is whole', async () => {
    const squat = await target.request(
      `/v2/late/blobs/sha256/${futureHex}/blobs/uploads/?digest=${sha256(futureBlob)}`,
      {
        method: 'POST',
        headers: alice,
        body: futureBlob,
      },
    )
    expect(squat.status).toBe(400)
    const image = await pushSmallImage(target, alice, 'late', 'v1')
    expect(image.status).toBe(201)
    expect(
      (
        await target.request(`/v2/late/blobs/uploads/?digest=${sha256(futureBlob)}`, {
          method: 'POST',
          headers: alice,
          body: futureBlob,
        })
      ).status,
    ).toBe(201)
    expect(
      new Uint8Array(
        await (await target.request(`/v2/late/blobs/${sha256(futureBlob)}`, { headers: alice })).arrayBuffer(),
      ),
    ).toEqual(futureBlob)
    await expectOnlyOwnLayout('late')
  })
})

test('the catalog never lists what lies inside a repository layout, even data written before names were checked', async () => {
  const storage = await createTestStorage({ label: 'squat-catalog' })
  afterAll(() => storage.remove())
  const repositories = ['old/app', 'old/app/ingest', `old/app/blobs/sha256/${'0'.repeat(64)}`, 'old/app/oci-layout.d']
  for (const repository of repositories) {
    await storage.write(`${repository}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}')
    await storage.write(`${repository}/index.json`, '{"schemaVersion":2,"manifests":[]}')
  }
  const registry = await startRegistry({ storage })
  try {
    const response = await fetch(`${registry.url}/v2/_catalog`)
    expect(response.status).toBe(200)
    // A name that merely starts like a layout name is an ordinary nested repository.
    expect(await response.json()).toEqual({ repositories: ['old/app', 'old/app/oci-layout.d'] })
  } finally {
    await registry.stop()
  }
})

test('every name the storage layout uses is refused as a name component', () => {
  const digest = sha256(futureBlob)
  const uuid = crypto.randomUUID()
  const inRepository = [
    indexPath('r'),
    ociLayoutPath('r'),
    uploadPath('r', uuid),
    blobPath('r', digest),
    quarantinePath('r', digest),
    partsPrefix('r'),
  ]
  const atRoot = [
    statePaths.tagChecks,
    META_FILE_NAME,
    TEMPORARY_DIRECTORY,
    statePaths.keyHash('h'),
    statePaths.userGroups('u'),
    statePaths.metaStats('r'),
    syncSpoolDirectory(''),
  ]
  const components = [...inRepository.map((path) => path.split('/')[1]!), ...atRoot.map((path) => path.split('/')[0]!)]
  for (const component of components) {
    expect({ component, valid: isValidRepositoryName(component) }).toEqual({ component, valid: false })
    expect({ component, valid: isValidRepositoryName(`r/${component}`) }).toEqual({ component, valid: false })
  }
})
