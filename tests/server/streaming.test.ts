/**
 * Blob bodies stream in both directions: a 1 GiB upload and download through the real server
 * leave its memory flat, and the download carries its Content-Length. (Memory is behaviour; speed
 * is measured by scripts/bench, not here.)
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../support/server'

const CLI = join(import.meta.dir, '../../cmd/zot.ts')
const SIZE = 1024 * 1024 * 1024
const CHUNK = 1024 * 1024
const directories: string[] = []
afterAll(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))))

const rssKiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)

test('a 1 GiB blob goes up and down with flat server memory', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'zot-stream-'))
  directories.push(directory)
  const port = await freePort()
  await writeFile(
    join(directory, 'config.json'),
    JSON.stringify({
      storage: { rootDirectory: join(directory, 'data') },
      http: { address: '127.0.0.1', port },
      log: { level: 'warn' },
    }),
  )
  const server = Bun.spawn(['bun', CLI, 'serve', join(directory, 'config.json')], {
    stdout: 'ignore',
    stderr: 'inherit',
  })
  const base = `http://127.0.0.1:${port}`
  try {
    for (
      let i = 0;
      i < 100 &&
      !(await fetch(`${base}/v2/`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    )
      await Bun.sleep(50)
    const idle = rssKiB(server.pid)
    let peak = idle
    const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(server.pid))), 50)

    const chunk = crypto.getRandomValues(new Uint8Array(CHUNK))
    const expected = new Bun.CryptoHasher('sha256')
    for (let sent = 0; sent < SIZE; sent += CHUNK) expected.update(chunk)
    const digest = `sha256:${expected.digest('hex')}`
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= SIZE) return controller.close()
        sent += CHUNK
        controller.enqueue(chunk)
      },
    })
    const session = await fetch(`${base}/v2/stream/test/blobs/uploads/`, { method: 'POST' })
    const location = session.headers.get('Location')!
    const patch = await fetch(`${base}${location}`, {
      method: 'PATCH',
      body,
      headers: { 'Content-Type': 'application/octet-stream' },
    })
    expect(patch.status).toBe(202)
    expect(patch.headers.get('Range')).toBe(`0-${SIZE - 1}`)
    const put = await fetch(`${base}${location}?digest=${digest}`, { method: 'PUT' })
    expect(put.status).toBe(201)

    const download = await fetch(`${base}/v2/stream/test/blobs/${digest}`)
    // A local blob goes out as the file itself (sendfile), framed by its length: Bun frames any
    // stream body as chunked and drops Content-Length (oven-sh/bun#10507).
    expect(download.headers.get('Content-Length')).toBe(String(SIZE))
    expect(download.headers.get('Transfer-Encoding')).toBeNull()
    const actual = new Bun.CryptoHasher('sha256')
    let received = 0
    for await (const part of download.body!) {
      actual.update(part)
      received += part.byteLength
    }
    clearInterval(sampler)
    expect(received).toBe(SIZE)
    expect(`sha256:${actual.digest('hex')}`).toBe(digest)
    // Buffering even a quarter of the blob would add 256 MiB.
    expect(peak - idle).toBeLessThan(128 * 1024)
  } finally {
    server.kill('SIGTERM')
    await server.exited
  }
}, 180_000)
