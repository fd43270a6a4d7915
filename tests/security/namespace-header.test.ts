/**
 * containerd's `?ns=` is read before authentication and echoed in a response header: a value with
 * CR/LF (or anything that is not a host) is a 400 NAME_INVALID, never a 500 with a stack trace.
 */
import { expect, test } from 'bun:test'
import { startSecurityTarget } from './support'

const target = await startSecurityTarget({
  config: {
    extensions: {
      sync: { enable: true, registries: [{ urls: ['http://127.0.0.1:9'], onDemand: true, tlsVerify: false }] },
    },
  },
})

test.each([
  ['CR/LF', 'docker.io%0d%0aSet-Cookie:%20x=1'],
  ['a space', 'docker.io%20evil'],
  ['a path', 'docker.io/evil'],
  ['an overlong host', 'a'.repeat(300)],
])('ns with %s is refused with 400 before authentication', async (_what, ns) => {
  const response = await target.request(`/v2/library/alpine/manifests/latest?ns=${ns}`)
  expect(response.status).toBe(400)
  const text = await response.text()
  expect(JSON.parse(text).errors[0].code).toBe('NAME_INVALID')
  expect(response.headers.get('Set-Cookie')).toBeNull()
  expect(text).not.toContain('at ')
  expect(target.logs()).not.toContain('request failed')
})

test('a well-formed ns still routes (an unknown host is NAME_UNKNOWN, as before)', async () => {
  const response = await target.request('/v2/library/alpine/manifests/latest?ns=registry.example.org:5000', {
    headers: target.basic('alice'),
  })
  expect(response.status).toBe(404)
  expect(((await response.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('NAME_UNKNOWN')
})
