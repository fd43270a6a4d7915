/**
 * @module
 * Starts the compiled registry (dist/zot) and the reference, Debian's docker-registry (CNCF
 * distribution 2.8.2), on free loopback ports with throwaway storage, for side-by-side runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface BenchTarget {
  url: string
  pid: number
}

function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = probe.port!
  probe.stop(true)
  return port
}

async function waitFor(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await fetch(`${url}/v2/`).then((r) => r.status === 200, () => false)) return
    await Bun.sleep(50)
  }
  throw new Error(`${url} did not come up`)
}

export async function startBenchTargets(): Promise<{ zot: BenchTarget; reference: BenchTarget; stop(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'zot-bench-'))
  const zotPort = freePort()
  const referencePort = freePort()
  if (!(await Bun.file('dist/zot').exists())) Bun.spawnSync(['bun', 'run', 'build'], { stdout: 'ignore' })
  await writeFile(join(directory, 'zot.json'), JSON.stringify({ storage: { rootDirectory: join(directory, 'zot') }, http: { address: '127.0.0.1', port: zotPort }, log: { level: 'warn' } }))
  await writeFile(
    join(directory, 'reference.yml'),
    `version: 0.1\nlog: { level: error, accesslog: { disabled: true } }\nstorage: { filesystem: { rootdirectory: ${join(directory, 'reference')} }, delete: { enabled: true } }\nhttp: { addr: 127.0.0.1:${referencePort} }\n`,
  )
  const zot = Bun.spawn(['./dist/zot', 'serve', join(directory, 'zot.json')], { stdout: 'ignore', stderr: 'ignore' })
  const reference = Bun.spawn(['docker-registry', 'serve', join(directory, 'reference.yml')], { stdout: 'ignore', stderr: 'ignore' })
  const targets = { zot: { url: `http://127.0.0.1:${zotPort}`, pid: zot.pid }, reference: { url: `http://127.0.0.1:${referencePort}`, pid: reference.pid } }
  await Promise.all([waitFor(targets.zot.url), waitFor(targets.reference.url)])
  return {
    ...targets,
    async stop() {
      zot.kill()
      reference.kill()
      await Promise.all([zot.exited, reference.exited])
      await rm(directory, { recursive: true, force: true })
    },
  }
}
