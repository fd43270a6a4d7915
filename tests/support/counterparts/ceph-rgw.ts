/**
 * @module
 * A throwaway single-node Ceph cluster with the RADOS gateway: the real S3 server of the tests
 * (it checks SigV4 signatures and implements paging, multipart and conditional writes; the npm
 * "S3 servers" are fakes). One monitor, one in-memory ("memstore") OSD, no manager, one radosgw,
 * all in a temp dir on free 127.0.0.1 ports.
 *
 * Tests use `sharedCephRgw()`: one cluster per test process (a start takes seconds and the
 * memstore holds RAM), stopped when the process ends, with a fresh bucket per test
 * (`createTestBucket`) emptied and removed by `dropTestBuckets` in the file's `afterAll`. The
 * daemons detach, so they are stopped by their pid files: from `stop()`, from an exit hook, and
 * from a watchdog when `bun test` ends without running exit hooks.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3'
import type { Subprocess } from 'bun'
import { afterAll, beforeAll } from 'bun:test'
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface CephRgw {
  /** `http://127.0.0.1:PORT` */
  endpoint: string
  accessKey: string
  secretKey: string
  region: string
  /** Stops the gateway only (the cluster keeps its data); `start()` brings it back. */
  stopGateway(): Promise<void>
  startGateway(): Promise<void>
  stop(): Promise<void>
}

/** Generous for a loaded 2-core CI machine; a healthy start takes 3-5 s in total. */
const COMMAND_TIMEOUT_MS = 60_000
const DAEMON_UP_TIMEOUT_MS = 30_000
const DAEMON_EXIT_TIMEOUT_MS = 15_000
const DAEMON_START_ATTEMPTS = 3
const CEPH_CLI_ATTEMPTS = 4
const RGW_NAME = 'client.rgw.test'
const RGW_POOLS = [
  '.rgw.root',
  'default.rgw.control',
  'default.rgw.meta',
  'default.rgw.log',
  'default.rgw.buckets.index',
  'default.rgw.buckets.data',
  'default.rgw.buckets.non-ec',
]
const DAEMONS = ['mon.a', 'osd.0', RGW_NAME]
/** DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000
const TOOLS = ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph', 'radosgw-admin', 'ceph-authtool', 'monmaptool']

/** Temp dirs of live clusters, and running CLI commands, for the exit hooks. */
const liveClusters = new Set<string>()
const runningCommands = new Set<Subprocess>()
const killEverything = (): void => {
  for (const command of runningCommands) command.kill('SIGKILL')
  for (const directory of liveClusters) {
    for (const daemon of DAEMONS) killFromPidFileSync(pidFileOf(directory, daemon))
    rmSync(directory, { recursive: true, force: true })
  }
}
process.on('exit', killEverything)
// 'exit' does not run when a signal ends the runner (Ctrl-C), and the memstore holds gigabytes.
for (const [name, number] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
] as const) {
  process.once(name, () => {
    killEverything()
    process.exit(128 + number)
  })
}

const pidFileOf = (directory: string, daemon: string): string => join(directory, 'run', `${daemon}.pid`)

export async function startCephRgw(): Promise<CephRgw> {
  for (const tool of TOOLS) {
    if (!Bun.which(tool)) {
      throw new Error(
        `${tool} is missing: run scripts/install-test-tools.sh as root ` +
          '(apt-get install radosgw ceph-mon ceph-osd ceph-common)',
      )
    }
  }
  const directory = await mkdtemp(join(tmpdir(), 'zot-ceph-rgw-'))
  const [monPort, rgwPort] = await Promise.all([freePort(), freePort()])
  const config = join(directory, 'ceph.conf')
  // The CLI occasionally fails under parallel use ("problem getting command descriptions from
  // mon"); every command used here is idempotent, so retry.
  const cephCli = ['ceph', '-c', config, '--connect-timeout', '20']
  const ceph = (...args: string[]) => retry(CEPH_CLI_ATTEMPTS, () => run([...cephCli, ...args]))
  const credentials = { accessKey: `AK${randomToken(18)}`, secretKey: randomToken(40) }
  const endpoint = `http://127.0.0.1:${rgwPort}`
  liveClusters.add(directory)

  const stopDaemons = async (daemons: string[]): Promise<void> => {
    await Promise.all(daemons.map((daemon) => killFromPidFile(pidFileOf(directory, daemon))))
  }
  const startGateway = (): Promise<void> =>
    startDaemon({
      command: ['radosgw', '-c', config, '-n', RGW_NAME],
      what: `radosgw to answer HTTP on ${endpoint}`,
      isUp: async () => (await fetch(endpoint, { signal: AbortSignal.timeout(2000) })).status > 0,
      diagnostics: () => logTail(directory, RGW_NAME),
      stop: () => stopDaemons([RGW_NAME]),
    })
  const stop = async (): Promise<void> => {
    await stopDaemons([RGW_NAME, 'osd.0', 'mon.a'])
    liveClusters.delete(directory)
    await rm(directory, { recursive: true, force: true })
  }

  try {
    await Promise.all(['run', 'log', 'mon-a', 'osd-0', 'rgw'].map((name) => mkdir(join(directory, name))))
    const fsid = crypto.randomUUID()
    await writeFile(config, cephConfig(directory, fsid, monPort, rgwPort))
    const keyring = join(directory, 'keyring')
    const monmap = join(directory, 'monmap')
    const monKey = ['--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']
    await run(['ceph-authtool', '--create-keyring', keyring, ...monKey])
    const monAddress = `[v1:127.0.0.1:${monPort}]`
    await run(['monmaptool', '--create', '--fsid', fsid, '--addv', 'a', monAddress, monmap])
    const monFs = ['--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring]
    await run(['ceph-mon', '-c', config, ...monFs])
    await run(['ceph-mon', '-c', config, '-i', 'a'])

    const osdUuid = crypto.randomUUID()
    const osdId = (await ceph('osd', 'new', osdUuid)).trim()
    if (osdId !== '0') {
      throw new Error(`ceph osd new returned id ${JSON.stringify(osdId)}, expected 0`)
    }
    // Placing the OSD in the CRUSH map ourselves avoids racing its own boot-time placement.
    await ceph('osd', 'crush', 'add', 'osd.0', '1', 'root=default', 'host=localhost')
    await run(['ceph-osd', '-c', config, '-i', '0', '--mkfs', '--osd-uuid', osdUuid])
    // The OSD occasionally dies on its first start (a boot race with the monitor).
    await startDaemon({
      command: ['ceph-osd', '-c', config, '-i', '0'],
      what: 'the OSD to be up',
      // One bounded attempt per poll: the retrying `ceph` could outlast the wait's deadline.
      isUp: async () => /\b1 up\b/.test(await run([...cephCli, 'osd', 'stat'])),
      diagnostics: () => logTail(directory, 'osd.0'),
      stop: () => stopDaemons(['osd.0']),
    })

    await Promise.all(
      RGW_POOLS.map(async (pool) => {
        await ceph('osd', 'pool', 'create', pool, '1', '1')
        await ceph('osd', 'pool', 'application', 'enable', pool, 'rgw')
      }),
    )
    await startGateway()
    const user = ['--uid', 'zot-tests', '--display-name', 'zot tests']
    const keys = ['--access-key', credentials.accessKey, '--secret-key', credentials.secretKey]
    await run(['radosgw-admin', '-c', config, 'user', 'create', ...user, ...keys])
  } catch (error) {
    await stop().catch(() => {})
    throw error
  }
  return {
    endpoint,
    ...credentials,
    region: 'us-east-1',
    stopGateway: () => stopDaemons([RGW_NAME]),
    startGateway,
    stop,
  }
}

/** A plain SDK client on the gateway, for tests that look behind the driver's back. */
export function rawS3Client(rgw: CephRgw): S3Client {
  return new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKey, secretAccessKey: rgw.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/**
 * For a test file that looks into the shared gateway's buckets with a raw client: the gateway is
 * started before the file's tests; afterwards the client is closed and the file's buckets dropped.
 * Call at the top level of the file; the returned function gives the client inside tests.
 */
export function rawS3ForThisFile(): () => S3Client {
  let client: S3Client | undefined
  beforeAll(async () => {
    client = rawS3Client(await sharedCephRgw())
  }, 180_000)
  afterAll(async () => {
    client?.destroy()
    await dropTestBuckets(await sharedCephRgw())
  })
  return () => {
    if (!client) throw new Error('the raw S3 client is made in beforeAll')
    return client
  }
}

/**
 * For a test file that uses the shared gateway: started before the file's tests, the file's
 * buckets dropped after them. Call at the top level of the file (or of a describe); the returned
 * function gives the gateway inside tests and hooks that run after it.
 */
export function cephRgwForThisFile(): () => CephRgw {
  let rgw: CephRgw | undefined
  beforeAll(async () => {
    rgw = await sharedCephRgw()
  }, 180_000)
  afterAll(() => rgw && dropTestBuckets(rgw))
  return () => {
    if (!rgw) throw new Error('the gateway is started in beforeAll')
    return rgw
  }
}

/** zot's `storage.storageDriver` for a bucket on this gateway, with zot's doubled `/zot` prefix. */
export function zotS3Params(rgw: CephRgw, bucket: string) {
  return {
    name: 's3',
    region: rgw.region,
    bucket,
    regionendpoint: rgw.endpoint,
    accesskey: rgw.accessKey,
    secretkey: rgw.secretKey,
    secure: false,
    rootdirectory: '/zot',
  }
}

const RGW_HOLDER = Symbol.for('zot-bun.tests.shared-ceph-rgw')
const BUCKETS_HOLDER = Symbol.for('zot-bun.tests.shared-ceph-rgw-buckets')
type Holder = { [RGW_HOLDER]?: Promise<CephRgw>; [BUCKETS_HOLDER]?: Set<string> }
const holder = globalThis as Holder
/** Buckets made by `createTestBucket` and not dropped yet. */
const testBuckets = (holder[BUCKETS_HOLDER] ??= new Set<string>())

/**
 * The gateway of this test process, started on first use. bun may evaluate this module once per
 * test file, so the promise lives on globalThis. A failed start stays cached: every later test
 * fails fast with its cause. A file that stops the gateway (`stopGateway`) must start it again.
 */
export function sharedCephRgw(): Promise<CephRgw> {
  holder[RGW_HOLDER] ??= startCephRgw().then(async (rgw) => {
    await stopWhenThisProcessEnds(rgw)
    return rgw
  })
  return holder[RGW_HOLDER]
}

/**
 * `bun test` emits no 'exit' event (so the exit hook above never runs there) and has no hook
 * after its last file, while the daemons detach and would outlive it holding their memstore RAM.
 * A watchdog in its own session waits for this process to end, however it ends, then kills the
 * cluster's daemons by their pid files and removes its directory.
 */
async function stopWhenThisProcessEnds(rgw: CephRgw): Promise<void> {
  const directory = await clusterDirectoryOf(rgw)
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'for pidfile in "$2"/run/*.pid; do [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")"; done',
    'rm -rf "$2"',
  ].join('\n')
  // No pipes: `bun test | tee` would otherwise wait for the watchdog's end of them.
  const watchdog = Bun.spawn(['setsid', 'sh', '-c', script, 'rgw-watchdog', String(process.pid), directory], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
  })
  watchdog.unref()
}

/** The temp directory startCephRgw made for this gateway: the one whose config binds its port. */
async function clusterDirectoryOf(rgw: CephRgw): Promise<string> {
  const binding = `endpoint=127.0.0.1:${new URL(rgw.endpoint).port}\n`
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith('zot-ceph-rgw-')) continue
    const directory = join(tmpdir(), name)
    const config = await readFile(join(directory, 'ceph.conf'), 'utf8').catch(() => '')
    if (config.includes(binding)) return directory
  }
  throw new Error(`no Ceph cluster directory in ${tmpdir()} serves ${rgw.endpoint}`)
}

/**
 * Creates a bucket with a unique name (the gateway is shared by the whole test process). Unless
 * `track` is false (a caller that removes the bucket itself), `dropTestBuckets` removes it.
 */
export async function createTestBucket(rgw: CephRgw, label: string, track = true): Promise<string> {
  const bucket = `${label}-${crypto.randomUUID().slice(0, 8)}`
  const s3 = rawS3Client(rgw)
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  s3.destroy()
  if (track) testBuckets.add(bucket)
  return bucket
}

/**
 * Empties and removes every bucket `createTestBucket` made so far: the gateway keeps objects in
 * RAM (memstore) until the process ends, and the next test file shares it. For `afterAll`.
 */
export async function dropTestBuckets(rgw: CephRgw): Promise<void> {
  const s3 = rawS3Client(rgw)
  try {
    for (const bucket of [...testBuckets]) {
      testBuckets.delete(bucket)
      await emptyBucket(s3, bucket).catch(() => {})
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {})
    }
  } finally {
    s3.destroy()
  }
}

/** Every object and every multipart upload (a SIGKILLed server leaves some open). */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  const keys = await listKeys(s3, bucket, '')
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH).map((Key) => ({ Key }))
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }))
  }
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
  await Promise.all(
    (uploads.Uploads ?? []).map(({ Key, UploadId }) =>
      s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })),
    ),
  )
}

/** Every key under `prefix`, sorted. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
    keys.push(...(page.Contents ?? []).map((object) => object.Key!))
    token = page.NextContinuationToken
  } while (token)
  return keys.sort()
}

interface DaemonStart {
  /** Starts the daemon, which detaches. */
  command: string[]
  what: string
  isUp(): Promise<boolean>
  diagnostics(): Promise<string>
  stop(): Promise<void>
}

/** Starts a daemon and waits until it serves; a start that fails or hangs is retried. */
async function startDaemon(start: DaemonStart): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run(start.command)
      await waitFor(start.what, DAEMON_UP_TIMEOUT_MS, start.isUp, start.diagnostics)
      return
    } catch (error) {
      if (attempt >= DAEMON_START_ATTEMPTS) throw error
      await start.stop()
    }
  }
}

function cephConfig(directory: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 1
osd pool default pgp num = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
paxos propose interval = 0.05
paxos min wait = 0.01
run dir = ${directory}/run
admin socket = ${directory}/run/$name.asok
pid file = ${directory}/run/$name.pid
log file = ${directory}/log/$name.log
keyring = ${directory}/keyring
mon data = ${directory}/mon-$id
osd data = ${directory}/osd-$id

[client]
# No admin socket for CLI processes: parallel commands would fight over one path.
admin socket =

[osd]
osd objectstore = memstore
memstore device bytes = ${4 * 1024 ** 3}
osd class update on start = false
osd crush update on start = false

[${RGW_NAME}]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${directory}/rgw
# Deleted objects hold memstore RAM until RGW's garbage collector frees them (default: after 2 h).
rgw gc obj min wait = 0
rgw gc processor period = 2
rgw gc processor max time = 2
# A full or stuck OSD makes requests fail (5xx) instead of hanging the tests.
rados osd op timeout = 30
`
}

/** Runs a command to completion, bounded by a timeout; throws with its output on failure. */
async function run(command: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  const child = Bun.spawn(command, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  runningCommands.add(child)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  clearTimeout(timer)
  runningCommands.delete(child)
  if (exitCode !== 0) {
    const reason = child.signalCode === 'SIGKILL' ? `timed out after ${timeoutMs} ms` : `exited with ${exitCode}`
    throw new Error(`${command.join(' ')} ${reason}: ${(stderr || stdout).trim().slice(-2000)}`)
  }
  return stdout
}

async function retry<T>(attempts: number, action: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action()
    } catch (error) {
      if (attempt >= attempts) throw error
      await Bun.sleep(250 * attempt)
    }
  }
}

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  diagnostics: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await Bun.sleep(100)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${await diagnostics()}`)
}

async function logTail(directory: string, daemon: string): Promise<string> {
  const log = await readFile(join(directory, 'log', `${daemon}.log`), 'utf8').catch(() => '(no log)')
  return `last lines of ${daemon}.log:\n${log.split('\n').slice(-30).join('\n')}`
}

/** SIGKILL: the cluster is throwaway (memstore), and a graceful stop takes seconds per daemon. */
async function killFromPidFile(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
  if (!(pid > 0) || !signal(pid, 'SIGKILL')) return
  const deadline = Date.now() + DAEMON_EXIT_TIMEOUT_MS
  while (isRunning(pid)) {
    if (Date.now() > deadline) {
      throw new Error(`process ${pid} (${pidFile}) did not exit after SIGKILL`)
    }
    await Bun.sleep(20)
  }
  await rm(pidFile, { force: true })
}

function killFromPidFileSync(pidFile: string): void {
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (pid > 0) signal(pid, 'SIGKILL')
}

/**
 * Whether the process still runs. A killed daemon is a zombie until init reaps it, which some
 * container inits do only every few seconds; a zombie holds no memory or ports: it counts as gone.
 */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false // no such process (Ceph runs on Linux only, so /proc is there)
  }
}

/** Sends a signal; false when the process no longer exists. */
function signal(pid: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, name)
    return true
  } catch {
    return false
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function randomToken(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => alphabet[byte % alphabet.length]).join('')
}
