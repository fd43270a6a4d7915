import { afterAll, setDefaultTimeout, describe, expect, test } from 'bun:test'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../support/server'
import { runZot, ZOT_CLI } from '../support/zot-cli'
import { makeSelfSignedCertificate } from '../support/tls/certificates'

setDefaultTimeout(60_000)
const CLI = ZOT_CLI
const FIXTURES = join(import.meta.dir, '../fixtures/configs')
const directories: string[] = []
afterAll(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))))

async function scratch(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'zot-cli-'))
  directories.push(directory)
  return directory
}

const zot = runZot

/** Reads a child's stdout until a line matches (or the time runs out). */
async function waitForLine(lines: string[], pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const line = lines.find((l) => pattern.test(l))
    if (line) return line
    await Bun.sleep(25)
  }
  throw new Error(`no line matching ${pattern} in:\n${lines.join('\n')}`)
}

function collectLines(stream: ReadableStream<Uint8Array>): string[] {
  const lines: string[] = []
  void (async () => {
    let buffered = ''
    for await (const chunk of stream) {
      buffered += new TextDecoder().decode(chunk)
      const parts = buffered.split('\n')
      buffered = parts.pop()!
      lines.push(...parts)
    }
  })()
  return lines
}

describe('verify-config', () => {
  test('a valid fixture exits 0 with a one-line verdict last; `verify` is an alias', async () => {
    for (const command of ['verify-config', 'verify']) {
      const result = await zot(command, join(FIXTURES, 'minimal.json'))
      expect(result.code).toBe(0)
      expect(result.out.trim().split('\n').at(-1)).toMatch(/minimal\.json: valid/)
    }
  })

  test('an invalid fixture exits 1 naming the key and the fix; --json is machine-readable', async () => {
    const file = join(FIXTURES, 'invalid-replica-inline-credentials.json')
    const human = await zot('verify-config', file)
    expect(human.code).toBe(1)
    expect(human.out).toContain('extensions.sync.registries[0].credentials')
    expect(human.out).toContain('credentialsFile')
    const json = await zot('verify-config', '--json', file)
    expect(json.code).toBe(1)
    const report = JSON.parse(json.out) as { valid: boolean; findings: { path: string; severity: string }[] }
    expect(report.valid).toBe(false)
    expect(
      report.findings.some((f) => f.severity === 'error' && f.path === 'extensions.sync.registries[0].credentials'),
    ).toBe(true)
  })
})

test('schema prints a JSON Schema of the configuration', async () => {
  const result = await zot('schema')
  expect(result.code).toBe(0)
  const schema = JSON.parse(result.out) as { properties: Record<string, unknown> }
  expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['storage', 'http', 'log', 'extensions']))
})

test('--version prints version, commit and distribution-spec version', async () => {
  const result = await zot('--version')
  expect(result.out).toMatch(/^zot \d+\.\d+\.\d+ \(commit \S+, distribution-spec 1\.1\.1\)/)
})

test('serve refuses an invalid config with exit 1 and the findings', async () => {
  const directory = await scratch()
  await writeFile(
    join(directory, 'bad.json'),
    JSON.stringify({ storage: { rootDirectory: directory, rootDirectry: 'x' }, http: { port: 99999 } }),
  )
  const result = await zot('serve', join(directory, 'bad.json'))
  expect(result.code).toBe(1)
  expect(result.err).toContain('storage.rootDirectry')
  expect(result.err).toContain('http.port')
  expect(result.err).toContain('invalid configuration, not running serve')
})

test('serve warns once per accepted-but-unimplemented section; SIGHUP reloads a valid config and keeps the running one on an invalid one', async () => {
  const directory = await scratch()
  const port = await freePort()
  const path = join(directory, 'config.json')
  const config = (level: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      storage: { rootDirectory: join(directory, 'data') },
      http: { address: '127.0.0.1', port },
      log: { level },
      ...extra,
    })
  await writeFile(path, config('info', { extensions: { trust: { cosign: true } } }))
  const server = Bun.spawn(['bun', CLI, 'serve', path], { stdout: 'pipe', stderr: 'pipe' })
  const lines = collectLines(server.stdout)
  try {
    await waitForLine(lines, /"message":"serving"/)
    expect(lines.filter((l) => l.includes('extensions.trust: accepted but not implemented yet')).length).toBe(1)

    await writeFile(path, config('warn'))
    server.kill('SIGHUP')
    await waitForLine(lines, /configuration reloaded/)
    const before = lines.length
    expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(200)
    await Bun.sleep(100)
    // At warn, the request is no longer logged.
    expect(lines.slice(before).some((l) => l.includes('"message":"request"'))).toBe(false)

    // Restart-only settings are named, and the old values stay in force.
    const otherPort = await freePort()
    await writeFile(
      path,
      JSON.stringify({
        storage: { rootDirectory: join(directory, 'other') },
        http: { address: '127.0.0.1', port: otherPort },
        log: { level: 'warn' },
      }),
    )
    server.kill('SIGHUP')
    const warning = await waitForLine(lines, /these settings need a restart/)
    expect(JSON.parse(warning).settings).toEqual(['http.port', 'storage.rootDirectory'])
    expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(200)

    await writeFile(path, '{ "storage": { broken')
    server.kill('SIGHUP')
    await waitForLine(lines, /configuration reload failed; keeping the running configuration/)
    expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(200)
  } finally {
    server.kill('SIGTERM')
    await server.exited
  }
})

test('http.tls serves HTTPS, and a replaced certificate is served after SIGHUP without a restart', async () => {
  const directory = await scratch()
  const cert = join(directory, 'cert.pem')
  const key = join(directory, 'key.pem')
  const makeCertificate = async (name: string) => {
    await makeSelfSignedCertificate({
      key: join(directory, `${name}.key`),
      cert: join(directory, `${name}.pem`),
      commonName: name,
      subjectAltName: 'IP:127.0.0.1',
    })
    return {
      cert: await Bun.file(join(directory, `${name}.pem`)).text(),
      key: await Bun.file(join(directory, `${name}.key`)).text(),
    }
  }
  const first = await makeCertificate('first')
  const second = await makeCertificate('second')
  await writeFile(cert, first.cert)
  await writeFile(key, first.key)
  const port = await freePort()
  const path = join(directory, 'config.json')
  await writeFile(
    path,
    JSON.stringify({
      storage: { rootDirectory: join(directory, 'data') },
      http: { address: '127.0.0.1', port, tls: { cert, key } },
      log: { level: 'info' },
    }),
  )
  const server = Bun.spawn(['bun', CLI, 'serve', path], { stdout: 'pipe', stderr: 'inherit' })
  const lines = collectLines(server.stdout)
  // Each certificate is self-signed: a client trusting only one of them tells which is served.
  const statusTrusting = (ca: string) =>
    fetch(`https://127.0.0.1:${port}/v2/`, { tls: { ca } }).then(
      (r) => r.status,
      () => 0,
    )
  try {
    await waitForLine(lines, /"message":"serving"/)
    expect(await statusTrusting(first.cert)).toBe(200)
    expect(await statusTrusting(second.cert)).toBe(0)
    await writeFile(key, second.key)
    await writeFile(cert, second.cert)
    server.kill('SIGHUP')
    await waitForLine(lines, /TLS certificate reloaded/)
    expect(await statusTrusting(second.cert)).toBe(200)
    expect(await statusTrusting(first.cert)).toBe(0)
  } finally {
    server.kill('SIGTERM')
    await server.exited
  }
})

test("gc and scrub run on a stopped registry's storage and explain an invalid config", async () => {
  const directory = await scratch()
  const path = join(directory, 'config.json')
  await writeFile(
    path,
    JSON.stringify({
      storage: { rootDirectory: join(directory, 'data'), gcDelay: '1s' },
      http: { address: '127.0.0.1', port: await freePort() },
    }),
  )
  expect((await zot('gc', path)).err).toContain('is not a directory')
  await mkdir(join(directory, 'data'))
  const gc = await zot('gc', path, '--dry-run')
  expect(gc.code).toBe(0)
  const scrub = await zot('scrub', path, '--json')
  expect(scrub.code).toBe(0)
  expect(() => JSON.parse(scrub.out)).not.toThrow()
  await writeFile(path, JSON.stringify({ storage: { rootDirectory: directory, gcDelay: 'soon' } }))
  for (const command of ['gc', 'scrub']) {
    const refused = await zot(command, path)
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('storage.gcDelay')
    expect(refused.err).toContain(`not running ${command}`)
  }
})
