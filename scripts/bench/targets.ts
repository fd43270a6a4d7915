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
import type { Subprocess } from 'bun'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestBucket, startCephRgw, zotS3Params, type CephRgw } from '../../tests/support/counterparts/ceph-rgw'

export interface BenchTarget {
  url: string
  pid: number
}

export interface BenchTargets {
  zot: BenchTarget
  reference: BenchTarget
  /** With `sync`: the registry both pull through from. */
  upstream?: BenchTarget
  stop(): Promise<void>
}

export interface TargetOptions {
  /** `user:password` both registries require (htpasswd), or undefined for open registries. */
  auth?: string
  s3?: boolean
  sync?: boolean
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
    if (
      await fetch(`${url}/v2/`, { headers }).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return
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
  const [zotBucket, referenceBucket] = await Promise.all([
    createTestBucket(rgw, 'bench-zot'),
    createTestBucket(rgw, 'bench-ref'),
  ])
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

async function writeConfig(path: string, text: string): Promise<string> {
  await writeFile(path, text)
  return path
}

/** htpasswd with one bcrypt entry (cost 5, as `htpasswd -B` writes by default). */
async function writeHtpasswd(path: string, credentials: string): Promise<string> {
  const [user, password] = credentials.split(':') as [string, string]
  const hash = await Bun.password.hash(password, { algorithm: 'bcrypt', cost: 5 })
  await writeFile(path, `${user}:${hash}\n`)
  return user
}

/** The reference's YAML config: storage, listener, and optionally htpasswd or a proxy upstream. */
function referenceConfig(storage: string, port: number, extra: { htpasswd?: string; proxy?: string }): string {
  return [
    'version: 0.1',
    'log: { level: error, accesslog: { disabled: true } }',
    `storage: ${storage}`,
    `http: { addr: 127.0.0.1:${port} }`,
    ...(extra.htpasswd ? [`auth: { htpasswd: { realm: bench, path: ${extra.htpasswd} } }`] : []),
    ...(extra.proxy ? [`proxy: { remoteurl: "${extra.proxy}" }`] : []),
    '',
  ].join('\n')
}

// The reference's aws-sdk-go panics on AWS_CA_BUNDLE (set on some machines) with its transport.
const { AWS_CA_BUNDLE: _, ...referenceEnv } = process.env
const startReference = (config: string) =>
  Bun.spawn(['docker-registry', 'serve', config], { stdout: 'ignore', stderr: 'inherit', env: referenceEnv })

export async function startBenchTargets(options: TargetOptions = {}): Promise<BenchTargets> {
  if (!(await Bun.file('dist/zot').exists())) Bun.spawnSync(['bun', 'run', 'build'], { stdout: 'ignore' })
  const directory = await mkdtemp(join(tmpdir(), 'zot-bench-'))
  const children: Subprocess[] = []
  let storage: Storage | undefined
  const stop = async () => {
    for (const child of children) child.kill()
    await Promise.all(children.map((child) => child.exited))
    await storage?.stop()
    await rm(directory, { recursive: true, force: true })
  }
  try {
    // The reference in proxy mode refuses to start unless its upstream answers: upstream first.
    const upstream = options.sync ? await startUpstream(directory, children) : undefined
    storage = options.s3 ? await s3Storage(directory) : await localStorage(directory)
    const htpasswd = join(directory, 'htpasswd')
    const user = options.auth ? await writeHtpasswd(htpasswd, options.auth) : undefined
    const zotPort = freePort()
    const referencePort = freePort()
    const zotConfig = {
      storage: storage.zot,
      http: {
        address: '127.0.0.1',
        port: zotPort,
        ...(user && {
          auth: { htpasswd: { path: htpasswd } },
          accessControl: {
            repositories: { '**': { policies: [{ users: [user], actions: ['read', 'create', 'update', 'delete'] }] } },
          },
        }),
      },
      log: { level: 'warn' },
      ...(upstream && {
        extensions: {
          sync: {
            enable: true,
            registries: [{ urls: [upstream.url], onDemand: true, tlsVerify: false, content: [{ prefix: '**' }] }],
          },
        },
      }),
    }
    const zotFile = await writeConfig(join(directory, 'zot.json'), JSON.stringify(zotConfig))
    const referenceFile = await writeConfig(
      join(directory, 'reference.yml'),
      referenceConfig(storage.reference, referencePort, {
        ...(user && { htpasswd }),
        ...(upstream && { proxy: upstream.url }),
      }),
    )
    const zot = Bun.spawn(['./dist/zot', 'serve', zotFile], { stdout: 'ignore', stderr: 'inherit' })
    children.push(zot)
    const reference = startReference(referenceFile)
    children.push(reference)
    const targets = {
      zot: { url: `http://127.0.0.1:${zotPort}`, pid: zot.pid },
      reference: { url: `http://127.0.0.1:${referencePort}`, pid: reference.pid },
    }
    const authorization = options.auth ? `Basic ${btoa(options.auth)}` : undefined
    await Promise.all([waitFor(targets.zot.url, authorization), waitFor(targets.reference.url, authorization)])
    if (authorization) {
      // A benchmark of auth that silently ran open would measure the wrong thing.
      for (const { url } of Object.values(targets)) {
        const status = (await fetch(`${url}/v2/`)).status
        if (status !== 401) throw new Error(`${url} answers ${status} without credentials: auth is not on`)
      }
    }
    return { ...targets, ...(upstream && { upstream }), stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** An open docker-registry on local disk: what the `sync` variant pulls through from. */
async function startUpstream(directory: string, children: Subprocess[]): Promise<BenchTarget> {
  const port = freePort()
  const storage = `{ filesystem: { rootdirectory: ${join(directory, 'upstream')} }, delete: { enabled: true } }`
  const upstream = startReference(
    await writeConfig(join(directory, 'upstream.yml'), referenceConfig(storage, port, {})),
  )
  children.push(upstream)
  const url = `http://127.0.0.1:${port}`
  await waitFor(url)
  return { url, pid: upstream.pid }
}
