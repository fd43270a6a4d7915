/**
 * Immutable tags under races: a user granted read+create but not update may push new tags and
 * never move one. Authorization looks at the tag when the headers arrive; the tag is written once
 * the body is in, so the decision must be taken again at write time, under the repository's lock.
 */
import { describe, expect, test } from 'bun:test'
import { pushSmallImage, startSecurityTarget } from './support'

const target = await startSecurityTarget({
  config: {
    http: {
      accessControl: {
        repositories: {
          '**': {
            policies: [
              { users: ['alice'], actions: ['read', 'create'] },
              { users: ['bob'], actions: ['read', 'create', 'update', 'delete'] },
            ],
          },
        },
      },
    },
  },
})
const alice = target.basic('alice')
const bob = target.basic('bob')

/** Pushes an image under a throwaway tag, so its blobs are in and its manifest can be PUT again. */
async function prepared(repository: string, index: number): Promise<{ manifest: string; digest: string }> {
  const image = await pushSmallImage(target, alice, repository, `prep-${index}`)
  expect(image.status).toBe(201)
  return image
}

/**
 * PUTs a manifest whose body arrives `delayMs` after the headers: authorization has long decided
 * by the time the registry writes the tag.
 */
function slowPut(
  repository: string,
  reference: string,
  manifest: string,
  headers: Record<string, string>,
  delayMs: number,
): Promise<Response> {
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await Bun.sleep(delayMs)
      controller.enqueue(new TextEncoder().encode(manifest))
      controller.close()
    },
  })
  return target.request(`/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body,
  })
}

const taggedDigest = async (repository: string, tag: string): Promise<string | null> =>
  (await target.request(`/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: alice })).headers.get(
    'Docker-Content-Digest',
  )

describe('immutable tags (read+create without update)', () => {
  test('10 concurrent PUTs of different manifests to one new tag: exactly one wins, the rest are DENIED', async () => {
    const images = await Promise.all(Array.from({ length: 10 }, (_, index) => prepared('race/app', index)))
    const responses = await Promise.all(images.map((image) => slowPut('race/app', 'v1', image.manifest, alice, 300)))
    const statuses = responses.map((response) => response.status)
    expect(statuses.filter((status) => status === 201)).toHaveLength(1)
    expect(statuses.filter((status) => status === 403)).toHaveLength(9)
    const bodies = await Promise.all(
      responses.filter((response) => response.status === 403).map((response) => response.json()),
    )
    for (const body of bodies) expect((body as { errors: { code: string }[] }).errors[0]!.code).toBe('DENIED')
    const winner = responses.find((response) => response.status === 201)!.headers.get('Docker-Content-Digest')
    expect(await taggedDigest('race/app', 'v1')).toBe(winner)
  })

  test('a tag created by someone else while the body is on its way is not moved', async () => {
    const [mine, theirs] = await Promise.all([prepared('race/moved', 0), prepared('race/moved', 1)])
    const pending = slowPut('race/moved', 'v1', mine.manifest, alice, 500)
    await Bun.sleep(100)
    const bobs = await target.request('/v2/race/moved/manifests/v1', {
      method: 'PUT',
      headers: { ...bob, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: theirs.manifest,
    })
    expect(bobs.status).toBe(201)
    const response = await pending
    expect(response.status).toBe(403)
    expect(await taggedDigest('race/moved', 'v1')).toBe(theirs.digest)
  })

  test('?tag= tags are checked at write time too', async () => {
    const mine = await prepared('race/query', 0)
    const pending = slowPut('race/query', `${mine.digest}?tag=stable`, mine.manifest, alice, 500)
    await Bun.sleep(100)
    const theirs = await pushSmallImage(target, bob, 'race/query', 'stable')
    expect(theirs.status).toBe(201)
    expect((await pending).status).toBe(403)
    expect(await taggedDigest('race/query', 'stable')).toBe(theirs.digest)
  })

  test('racing pushes of the same manifest to a new tag all succeed: nothing moves', async () => {
    const image = await prepared('race/same', 0)
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => slowPut('race/same', 'v1', image.manifest, alice, 300)),
    )
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201, 201])
    expect(await taggedDigest('race/same', 'v1')).toBe(image.digest)
  })

  test('a user with update may still move tags', async () => {
    const [first, second] = await Promise.all([prepared('race/update', 0), prepared('race/update', 1)])
    const put = (manifest: string) =>
      target.request('/v2/race/update/manifests/v1', {
        method: 'PUT',
        headers: { ...bob, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
        body: manifest,
      })
    expect((await put(first.manifest)).status).toBe(201)
    expect((await put(second.manifest)).status).toBe(201)
    expect(await taggedDigest('race/update', 'v1')).toBe(second.digest)
  })
})
