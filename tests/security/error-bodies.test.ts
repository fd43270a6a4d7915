/**
 * A 5xx body must not tell anonymous clients where the data lives: a storage failure (EACCES,
 * EROFS, EIO, ENOSPC) is answered with its class, and the paths go to the server log only.
 * The failure is real: the registry runs as an unprivileged user (setpriv to `nobody` when the
 * tests run as root) over a directory then made read-only.
 */
import { afterAll, expect, test } from 'bun:test'
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { freePort } from '../support/server'
import { REPOSITORY_ROOT } from '../support/paths'
import { tempDirectory } from '../support/temp'
import { sha256 } from './support'

const NOBODY = 65534
const asRoot = process.getuid?.() === 0

const directory = await tempDirectory('error-bodies')
const root = join(directory, 'data')
await mkdir(root)
await chmod(directory, 0o755)
const port = await freePort()
const configPath = join(directory, 'config.json')
await writeFile(
  configPath,
  JSON.stringify({
    storage: { rootDirectory: root },
    http: { address: '127.0.0.1', port: String(port) },
    log: { level: 'error' },
  }),
)
if (asRoot) await chown(root, NOBODY, NOBODY)
const command = [process.execPath, join(REPOSITORY_ROOT, 'cmd/zot.ts'), 'serve', configPath]
const child = Bun.spawn(
  asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...command] : command,
  {
    env: { ...process.env, HOME: directory },
    stdout: 'pipe',
    stderr: 'pipe',
  },
)
afterAll(async () => {
  child.kill()
  await child.exited
})
const url = `http://127.0.0.1:${port}`
for (let attempt = 0; attempt < 200; attempt++) {
  if (
    await fetch(`${url}/v2/`).then(
      (response) => response.ok,
      () => false,
    )
  )
    break
  await Bun.sleep(50)
}

const push = (repository: string, text: string) => {
  const data = new TextEncoder().encode(text)
  return fetch(`${url}/v2/${repository}/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', body: data })
}

test('storage refusing writes: 503 with the failure class, no path; the log has the path', async () => {
  expect((await push('demo', 'first')).status).toBe(201)
  await chmod(root, 0o555)
  const responses = [await push('other', 'second'), await fetch(`${url}/v2/another/blobs/uploads/`, { method: 'POST' })]
  for (const response of responses) {
    const text = await response.text()
    expect(response.status).toBe(503)
    expect(JSON.parse(text).errors[0]).toEqual({
      code: 'UNAVAILABLE',
      message: 'service unavailable',
      detail: { description: 'the storage refused access' },
    })
    expect(text).not.toContain(directory)
    expect(text).not.toContain('EACCES')
  }
  await chmod(root, 0o755)
  child.kill()
  await child.exited
  const log = await new Response(child.stdout).text()
  expect(log).toContain(`EACCES: permission denied, mkdir '${join(root, 'other')}'`)
})
