/**
 * @module
 * Starts the compiled registry (dist/zot) and the reference, Debian's docker-registry (CNCF
 * distribution 2.8.2), on free loopback ports with throwaway storage, for side-by-side runs.
 *
 * Variants, so performance is compared with the features users switch on:
 * - `auth`: both check htpasswd (bcrypt) Basic credentials on every request; zot also applies an
 *   accessControl policy (the reference has no per-repository access control).
 * - `s3`: both store in buckets of a throwaway Ceph RADOS gateway (the tests' real S3 server),
 *   the reference with redirects off so blob bytes flow through both registries alike.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestBucket, startCephRgw, zotS3Params, type CephRgw } from '../../tests/support/ceph-rgw'

export interface BenchTarget {
  url: string
  pid: number
}

export interface TargetOptions {
  /** `user:password` both registries require (htpasswd), or undefined for open registries. */
  auth?: string
  s3?: boolean
}

function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = probe.port!
  probe.stop(true)
  return port
}

async function waitFor(url: string, authorization?: string): Promise<void> {
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {}
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await fetch(`${url}/v2/`, { headers }).then((r) => r.status === 200, () => false)) return
    await Bun.sleep(50)
  }
  throw new Error(`${url} did not come up`)
}

interface Storage {
  zot: Record<string, unknown>
  /** The reference's `storage:` section, YAML flow style. */
  reference: string
  stop(): Promise<void>
}

async function localStorage(directory: string): Promise<Storage> {
  return {
    zot: { rootDirectory: join(directory, 'zot') },
    reference: `{ filesystem: { rootdirectory: ${join(directory, 'reference')} }, delete: { enabled: true } }`,
    stop: async () => {},
  }
}

async function s3Storage(directory: string): Promise<Storage> {
  const rgw: CephRgw = await startCephRgw()
  const [zotBucket, referenceBucket] = await Promise.all([createTestBucket(rgw, 'bench-zot'), createTestBucket(rgw, 'bench-ref')])
  const reference = [
    `s3: { region: ${rgw.region}, regionendpoint: "${rgw.endpoint}", bucket: ${referenceBucket}, accesskey: ${rgw.accessKey},`,
    `secretkey: ${rgw.secretKey}, secure: false, v4auth: true, rootdirectory: /registry }`,
  ].join(' ')
  return {
    // zot keeps its local metadata under rootDirectory even with S3; dedupe on S3 needs a remote
    // cache zot-style, so it is off (the reference does not dedupe either).
    zot: { rootDirectory: join(directory, 'zot'), dedupe: false, storageDriver: zotS3Params(rgw, zotBucket) },
    reference: `{ ${reference}, delete: { enabled: true }, redirect: { disable: true } }`,
    stop: () => rgw.stop(),
  }
}

/** htpasswd with one bcrypt entry (cost 5, as `htpasswd -B` writes by default). */
async function writeHtpasswd(path: string, credentials: string): Promise<string> {
  const [user, password] = credentials.split(':') as [string, string]
  const hash = await Bun.password.hash(password, { algorithm: 'bcrypt', cost: 5 })
  await writeFile(path, `${user}:${hash}\n`)
  return user
}

export async function startBenchTargets(options: TargetOptions = {}): Promise<{ zot: BenchTarget; reference: BenchTarget; stop(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'zot-bench-'))
  const zotPort = freePort()
  const referencePort = freePort()
  if (!(await Bun.file('dist/zot').exists())) Bun.spawnSync(['bun', 'run', 'build'], { stdout: 'ignore' })
  const storage = options.s3 ? await s3Storage(directory) : await localStorage(directory)
  const htpasswd = join(directory, 'htpasswd')
  const user = options.auth ? await writeHtpasswd(htpasswd, options.auth) : undefined
  const zotHttp = {
    address: '127.0.0.1',
    port: zotPort,
    ...(user && {
      auth: { htpasswd: { path: htpasswd } },
      accessControl: { repositories: { '**': { policies: [{ users: [user], actions: ['read', 'create', 'update', 'delete'] }] } } },
    }),
  }
  await writeFile(join(directory, 'zot.json'), JSON.stringify({ storage: storage.zot, http: zotHttp, log: { level: 'warn' } }))
  await writeFile(
    join(directory, 'reference.yml'),
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: ${storage.reference}`,
      `http: { addr: 127.0.0.1:${referencePort} }`,
      ...(user ? [`auth: { htpasswd: { realm: bench, path: ${htpasswd} } }`] : []),
      '',
    ].join('\n'),
  )
  const zot = Bun.spawn(['./dist/zot', 'serve', join(directory, 'zot.json')], { stdout: 'ignore', stderr: 'inherit' })
  // The reference's aws-sdk-go panics on AWS_CA_BUNDLE (set on some machines) with its transport.
  const { AWS_CA_BUNDLE: _, ...referenceEnv } = process.env
  const reference = Bun.spawn(['docker-registry', 'serve', join(directory, 'reference.yml')], { stdout: 'ignore', stderr: 'inherit', env: referenceEnv })
  const targets = { zot: { url: `http://127.0.0.1:${zotPort}`, pid: zot.pid }, reference: { url: `http://127.0.0.1:${referencePort}`, pid: reference.pid } }
  const authorization = options.auth ? `Basic ${btoa(options.auth)}` : undefined
  await Promise.all([waitFor(targets.zot.url, authorization), waitFor(targets.reference.url, authorization)])
  if (authorization) {
    // A benchmark of auth that silently ran open would measure the wrong thing.
    for (const { url } of Object.values(targets)) {
      const status = (await fetch(`${url}/v2/`)).status
      if (status !== 401) throw new Error(`${url} answers ${status} without credentials: auth is not on`)
    }
  }
  return {
    ...targets,
    async stop() {
      zot.kill()
      reference.kill()
      await Promise.all([zot.exited, reference.exited])
      await storage.stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
