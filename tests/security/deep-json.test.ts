/**
 * A manifest nested thousands of levels deep is refused before the JSON parser runs: parsing a
 * 4 MiB `[[[[…]]]]` kept the event loop busy for most of a second.
 */
import { expect, test } from 'bun:test'
import { startSecurityTarget, worstLivezDuring } from './support'

const target = await startSecurityTarget()
const half = 2 * 1024 * 1024 - 16

test('deeply nested manifests get MANIFEST_INVALID and never stall /livez', async () => {
  const nested = `{"schemaVersion":2,"x":${'['.repeat(half)}${']'.repeat(half)}}`
  const statuses: number[] = []
  const worst = await worstLivezDuring(target.url, async () => {
    for (let round = 0; round < 4; round++) {
      const response = await target.request('/v2/deep/app/manifests/v1', {
        method: 'PUT',
        headers: { ...target.basic('alice'), 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
        body: nested,
      })
      statuses.push(response.status)
      const body = (await response.json()) as { errors: { code: string; detail: { description: string } }[] }
      expect(body.errors[0]?.code).toBe('MANIFEST_INVALID')
      expect(body.errors[0]?.detail.description).toContain('deeper than 64 levels')
    }
  })
  expect(statuses).toEqual([400, 400, 400, 400])
  expect(worst).toBeLessThan(100)
})

test('ordinary nesting (annotations in descriptors in an index) is accepted as before', async () => {
  const response = await target.request('/v2/deep/app/manifests/v2', {
    method: 'PUT',
    headers: { ...target.basic('alice'), 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
    body: JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [],
      annotations: { a: '[[[[{{{{' },
    }),
  })
  expect(response.status).toBe(201)
})
