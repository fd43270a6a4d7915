import { afterAll, setDefaultTimeout, expect, test } from 'bun:test'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../support/server'

setDefaultTimeout(60_000)
const CLI = join(import.meta.dir, '../../cmd/zot.ts')
const directories: string[] = []
afterAll(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))))

async function configOn(port: number): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'zot-cli-'))
  directories.push(directory)
  const path = join(directory, 'config.json')
  await writeFile(
    path,
    JSON.stringify({
      storage: { rootDirectory: join(directory, 'data') },
      http: { address: '127.0.0.1', port: String(port) },
    }),
  )
  return path
}

async function waitForRegistry(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return
    await Bun.sleep(50)
  }
  throw new Error(`no registry at ${url}`)
}

test('serve exits non-zero with a clear message when the port is taken (zot exits 0)', async () => {
  const blocker = Bun.serve({ hostname: '127.0.0.1', port: 0, reusePort: false, fetch: () => new Response('busy') })
  try {
    const run = Bun.spawn(['bun', CLI, 'serve', await configOn(blocker.port!)], { stdout: 'pipe', stderr: 'pipe' })
    expect(await run.exited).toBe(1)
    expect(await new Response(run.stderr).text()).toContain(`cannot listen on 127.0.0.1:${blocker.port}`)
  } finally {
    blocker.stop(true)
  }
})

test('SIGTERM drains and exits 0', async () => {
  const port = await freePort()
  const run = Bun.spawn(['bun', CLI, 'serve', await configOn(port)], { stdout: 'pipe', stderr: 'pipe' })
  await waitForRegistry(`http://127.0.0.1:${port}/v2/`)
  run.kill('SIGTERM')
  expect(await run.exited).toBe(0)
  expect(await new Response(run.stdout).text()).toContain('"signal":"SIGTERM"')
})

test('serve refuses a GOMEMLIMIT it cannot read, naming the value and the fix', async () => {
  const run = Bun.spawn(['bun', CLI, 'serve', await configOn(await freePort())], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, GOMEMLIMIT: '2GB' },
  })
  expect(await run.exited).toBe(1)
  expect(await new Response(run.stderr).text()).toContain(
    'GOMEMLIMIT=2GB is not a size: use an integer with B, KiB, MiB, GiB or TiB (e.g. 256MiB), or off',
  )
})

test('serve reports its soft memory limit, from GOMEMLIMIT when set', async () => {
  const port = await freePort()
  const run = Bun.spawn(['bun', CLI, 'serve', await configOn(port)], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, GOMEMLIMIT: '300MiB' },
  })
  await waitForRegistry(`http://127.0.0.1:${port}/v2/`)
  run.kill('SIGTERM')
  expect(await run.exited).toBe(0)
  expect(await new Response(run.stdout).text()).toContain('"memoryLimitMiB":300')
})
