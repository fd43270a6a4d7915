/**
 * Metric series must stay bounded whatever anonymous clients ask for: made-up repository names
 * and methods used to become labels of their own.
 */
import { expect, test } from 'bun:test'
import { pushSmallImage, startSecurityTarget } from './support'

const target = await startSecurityTarget({
  config: { extensions: { metrics: { enable: true, prometheus: { path: '/metrics' } } } },
})

const scrape = async () => (await target.request('/metrics', { headers: target.basic('alice') })).text()
const repoSeries = (text: string) =>
  text.split('\n').filter((line) => line.startsWith('zot_http_repo_latency_seconds_count{'))

test('made-up repository names and methods fold into one label each', async () => {
  expect((await pushSmallImage(target, target.basic('alice'), 'real/app', 'v1')).status).toBe(201)
  const before = repoSeries(await scrape()).length
  const names = Array.from({ length: 200 }, (_, index) => `spam${index}/${'x'.repeat(50)}`)
  for (const name of names) {
    await target.request(`/v2/${name}/tags/list`)
    await target.request(`/v2/${name}/manifests/latest`, { headers: target.basic('alice') })
  }
  await target.request('/v2/real/app/tags/list', { method: 'BREW' }).catch(() => undefined)
  const text = await scrape()
  expect(text).not.toContain('spam')
  expect(text).not.toContain('BREW')
  expect(text).toContain('zot_http_repo_latency_seconds_count{repo="real/app"}')
  expect(text).toMatch(/zot_http_repo_latency_seconds_count\{repo="N\/A"\} \d+/)
  // real/app and N/A at most: 400 requests added no series.
  expect(repoSeries(text).length).toBeLessThanOrEqual(Math.max(before, 2))
})
