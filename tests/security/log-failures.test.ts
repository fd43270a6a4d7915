/**
 * Audit and main logs fail loud, never open: a path that cannot be written is refused by
 * `verify-config` and `serve`, and a write that fails later sends the lines to stderr with a
 * notice and turns `/readyz` red until the file is writable again.
 */
import { expect, test } from 'bun:test'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDirectory } from '../support/temp'
import { pushSmallImage, startSecurityTarget } from './support'
import { runZot } from '../support/zot-cli'

const directory = await tempDirectory('log-failures')

const zot = runZot

test.each(['output', 'audit'])(
  'log.%s in a missing directory: verify-config and serve refuse it, naming key and fix',
  async (key) => {
    const missing = join(directory, 'no-such-dir', `${key}.log`)
    const configPath = join(directory, `${key}.json`)
    await writeFile(
      configPath,
      JSON.stringify({
        storage: { rootDirectory: join(directory, 'data') },
        http: { address: '127.0.0.1', port: '0' },
        log: { [key]: missing },
      }),
    )
    const verified = await zot('verify-config', configPath)
    expect(verified.code).toBe(1)
    expect(verified.out + verified.err).toContain(`log.${key}`)
    expect(verified.out + verified.err).toContain(`directory not found: ${join(directory, 'no-such-dir')}`)
    const served = await zot('serve', configPath)
    expect(served.code).toBe(1)
    expect(served.out + served.err).toContain(`log.${key}`)
  },
)

test('an audit log that becomes unwritable: lines go to stderr with a notice, /readyz is red until it heals', async () => {
  const logs = join(directory, 'logs')
  await mkdir(logs)
  const auditPath = join(logs, 'audit.log')
  const target = await startSecurityTarget({ config: { log: { level: 'warn', audit: auditPath } } })
  expect((await pushSmallImage(target, target.basic('alice'), 'audited/app', 'v1')).status).toBe(201)
  await Bun.sleep(50)
  expect(await readFile(auditPath, 'utf8')).toContain('audited/app')
  expect((await target.request('/readyz')).status).toBe(200)

  await rm(logs, { recursive: true })
  expect((await pushSmallImage(target, target.basic('alice'), 'lost/app', 'v1')).status).toBe(201)
  await Bun.sleep(100)
  expect(target.logs()).toContain(`cannot write audit log ${auditPath}`)
  // The audit line itself is on stderr: nothing is dropped.
  expect(target.logs()).toMatch(/"message":"audit".*lost\/app/)
  const ready = await target.request('/readyz')
  expect(ready.status).toBe(500)
  expect(await ready.text()).toContain('[-]audit-log failed: log.audit writes are failing')

  await mkdir(logs)
  expect((await pushSmallImage(target, target.basic('alice'), 'healed/app', 'v1')).status).toBe(201)
  await Bun.sleep(100)
  expect(await readFile(auditPath, 'utf8')).toContain('healed/app')
  expect((await target.request('/readyz')).status).toBe(200)
  expect(target.logs()).toContain(`audit log ${auditPath} is writable again`)
})
