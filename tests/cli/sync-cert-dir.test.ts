/**
 * Issue 22: a sync registry whose `certDir` does not exist is a config finding naming the key, the
 * path and the fix, in `verify-config` and when `serve` starts, instead of a stack trace from
 * the upstream client's TLS setup. Issue 15: `verify-config` warns (a CI machine lacks
 * production's certificates), `--strict` and `serve` refuse.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runZot } from '../support/zot-cli'

setDefaultTimeout(60_000)
const KEY = 'extensions.sync.registries[0].certDir'
let directory: string
afterAll(() => rm(directory, { recursive: true, force: true }))

async function configWithCertDir(certDir: string): Promise<string> {
  directory ??= await mkdtemp(join(tmpdir(), 'zot-cli-certdir-'))
  const path = join(directory, 'config.json')
  const sync = { enable: true, registries: [{ urls: ['https://127.0.0.1:1'], onDemand: true, certDir }] }
  await writeFile(path, JSON.stringify({ storage: { rootDirectory: join(directory, 'data') }, extensions: { sync } }))
  return path
}

const zot = runZot

test('a missing certDir is a finding naming the key, the path and the fix: a warning for verify, an error for --strict and serve', async () => {
  const config = await configWithCertDir(join(tmpdir(), 'zot-no-such-certs.d'))
  const verify = await zot('verify-config', config)
  expect(verify.code).toBe(0)
  expect(verify.out).toContain(`warning: ${KEY}: directory not found: ${join(tmpdir(), 'zot-no-such-certs.d')}`)
  expect(verify.out).toContain('fix: create it with the upstream CA as *.crt')
  const strict = await zot('verify-config', '--strict', config)
  expect(strict.code).toBe(1)
  expect(strict.out).toContain(`error: ${KEY}: directory not found: ${join(tmpdir(), 'zot-no-such-certs.d')}`)
  const serve = await zot('serve', config)
  expect(serve.code).toBe(1)
  expect(serve.err).toContain(`${KEY}: directory not found`)
  expect(serve.err).not.toContain('loadUpstreamTls')
})

test('a certDir that is a file says so; an existing one is accepted', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'zot-cli-certfile-')), 'ca.crt')
  await writeFile(file, '')
  const notDirectory = await zot('verify-config', await configWithCertDir(file))
  expect(notDirectory.code).toBe(1)
  expect(notDirectory.out).toContain(`${KEY}: ${file} is not a directory`)
  await rm(join(file, '..'), { recursive: true })

  const certs = join(directory, 'certs.d')
  await mkdir(certs)
  const valid = await zot('verify-config', await configWithCertDir(certs))
  expect(valid.out).not.toContain(KEY)
  expect(valid.code).toBe(0)
})
