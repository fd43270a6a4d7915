/**
 * @module
 * Starts real registries as child processes for end-to-end tests: our server (from source or the
 * compiled binary) and Debian's `docker-registry` as the reference. Both come back with the same
 * handle, so a test can target either; `startTarget()` picks one from `ZOT_E2E_TARGET`.
 * Our server stores on the storage under test (`ZOT_TEST_STORAGE`, support/storage-under-test):
 * a temp directory, or a fresh bucket of the shared Ceph RGW. Processes run through support/process.ts,
 * stopped by the PID we started, never by name.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureCompiledBinary } from './binary'
import { REPOSITORY_ROOT } from './paths'
import { EarlyExitError, type RunningProcess, startProcess } from './process'
import { createTestStorage, storageKind, type StorageKind, type TestStorage } from './storage-under-test'

export interface RunningRegistry {
  /** `http://127.0.0.1:PORT` */
  url: string
  /** `127.0.0.1:PORT`, as image references spell it */
  host: string
  port: number
  /** zot's `storage.rootDirectory`: the data on disk, local metadata only on S3. */
  rootDirectory: string
  /**
   * What the server stores on, to look at behind its back. When the test's own config names a
   * `storageDriver`, this is only the local root and the data is in the test's bucket.
   */
  storage: TestStorage
  pid: number
  /** Which implementation answers: decides what a test may expect from the disk layout. */
  kind: 'zot' | 'reference'
  /** Resolves with the exit code (or null when killed by a signal) once the process is gone. */
  exited: Promise<number | null>
  /** SIGTERM, then SIGKILL after a grace period; removes the storage only if we created it. */
  stop(): Promise<void>
  kill(signal: NodeJS.Signals): void
  /** Everything the process wrote to stdout and stderr so far (the tail, when it is huge). */
  logs(): string
}

export interface StartOptions {
  /** zot config merged over the generated storage root and HTTP address. */
  config?: Record<string, unknown>
  /** Path to a compiled `zot`; the default runs `bun cmd/zot.ts` from this checkout. */
  binary?: string
  /**
   * Serve this storage (restarts, data made by hand); stop() then leaves it. By default a fresh
   * storage of the kind under test, removed by stop().
   */
  storage?: TestStorage
  env?: Record<string, string>
  cwd?: string
  readyTimeoutMs?: number
}

const READY_TIMEOUT_MS = 20_000
const STOP_GRACE_MS = 5_000
const LOG_LIMIT = 1 << 20

/** Starts our registry on a free loopback port and waits until `GET /v2/` answers. */
export async function startRegistry(options: StartOptions = {}): Promise<RunningRegistry> {
  // A test that brings its own storageDriver keeps it; ours would replace its bucket.
  const storageConfig = options.config?.storage
  const ownDriver = isPlainObject(storageConfig) && 'storageDriver' in storageConfig
  const kind = ownDriver ? 'local' : storageKind()
  return startWithRetries('zot', options, kind, async (port, storage, scratch) => {
    const config = mergeConfig(options.config ?? {}, {
      storage: storage.config,
      http: { address: '127.0.0.1', port: String(port) },
    })
    const configPath = join(scratch, 'config.json')
    await writeFile(configPath, JSON.stringify(config, null, 2))
    const command = options.binary
      ? [options.binary, 'serve', configPath]
      : [process.execPath, join(REPOSITORY_ROOT, 'cmd/zot.ts'), 'serve', configPath]
    return command
  })
}

/** Starts Debian's `docker-registry` (CNCF distribution 2.8.2) with filesystem storage. */
export async function startReferenceRegistry(options: StartOptions = {}): Promise<RunningRegistry> {
  // It is the yardstick of the client tests, not of our storage: it always runs on local disk.
  if (options.storage && options.storage.kind !== 'local') {
    throw new Error('docker-registry runs on local disk only; start it without an S3 storage')
  }
  return startWithRetries('reference', options, 'local', async (port, storage, scratch) => {
    const { rootDirectory } = storage
    // The packaged /etc/docker/registry/config.yml enables htpasswd with a directory as path.
    const configPath = join(scratch, 'config.yml')
    await writeFile(
      configPath,
      [
        'version: 0.1',
        'log: { level: warn, accesslog: { disabled: true } }',
        'storage:',
        `  filesystem: { rootdirectory: ${JSON.stringify(rootDirectory)} }`,
        '  delete: { enabled: true }',
        `http: { addr: "127.0.0.1:${port}" }`,
        '',
      ].join('\n'),
    )
    return ['docker-registry', 'serve', configPath]
  })
}

export type TargetName = 'source' | 'binary' | 'reference'

/** `ZOT_E2E_TARGET`: `source` (default), `binary` (dist/zot) or `reference` (docker-registry). */
export function targetName(): TargetName {
  const value = process.env.ZOT_E2E_TARGET ?? 'source'
  if (value !== 'source' && value !== 'binary' && value !== 'reference') {
    throw new Error(`ZOT_E2E_TARGET must be source, binary or reference, not ${value}`)
  }
  return value
}

/** True when the suite runs against docker-registry, which lacks our layout and referrers API. */
export const againstReference = targetName() === 'reference'

/** Starts the registry the suite targets; see targetName(). */
export async function startTarget(options: StartOptions = {}): Promise<RunningRegistry> {
  switch (targetName()) {
    case 'reference':
      return startReferenceRegistry(options)
    case 'binary':
      return startRegistry({ binary: await ensureCompiledBinary(), ...options })
    case 'source':
      return startRegistry(options)
  }
}

type CommandFactory = (port: number, storage: TestStorage, scratch: string) => Promise<string[]>

/** A port picked free can be taken before the child binds it: retry with a new one. */
async function startWithRetries(
  kind: RunningRegistry['kind'],
  options: StartOptions,
  storageKindToCreate: StorageKind,
  makeCommand: CommandFactory,
): Promise<RunningRegistry> {
  const storage = options.storage ?? (await createTestStorage({ label: `e2e-${kind}`, kind: storageKindToCreate }))
  const removeOwnStorage = () => (options.storage ? Promise.resolve() : storage.remove())
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(kind, options, storage, removeOwnStorage, makeCommand)
    } catch (error) {
      lastError = error
      if (!(error instanceof EarlyExitError && PORT_TAKEN.test(error.message))) break
    }
  }
  await removeOwnStorage()
  throw lastError
}

/** How Bun (our server) and Go (docker-registry) say that the port is taken. */
const PORT_TAKEN = /address already in use|is port \d+ in use/i

async function startOnce(
  kind: RunningRegistry['kind'],
  options: StartOptions,
  storage: TestStorage,
  removeOwnStorage: () => Promise<void>,
  makeCommand: CommandFactory,
): Promise<RunningRegistry> {
  const scratch = await mkdtemp(join(tmpdir(), `zot-e2e-${kind}-`))
  const port = await freePort()
  const command = await makeCommand(port, storage, scratch)
  const url = `http://127.0.0.1:${port}`
  const removeScratch = () => rm(scratch, { recursive: true, force: true })
  let child: RunningProcess
  try {
    child = await startProcess({
      command,
      cwd: options.cwd ?? scratch,
      env: options.env,
      readyUrl: `${url}/v2/`,
      readyTimeoutMs: options.readyTimeoutMs ?? READY_TIMEOUT_MS,
      logLimit: LOG_LIMIT,
    })
  } catch (error) {
    await removeScratch()
    const ErrorType = error instanceof EarlyExitError ? EarlyExitError : Error
    throw new ErrorType(`${kind} registry: ${error instanceof Error ? error.message : String(error)}`)
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    rootDirectory: storage.rootDirectory,
    storage,
    pid: child.pid,
    kind,
    exited: child.exited,
    kill: child.kill,
    logs: child.logs,
    stop: async () => {
      await child.stop(STOP_GRACE_MS)
      await removeScratch()
      await removeOwnStorage()
    },
  }
}

/** Asks the kernel for a free port by binding port 0, then releases it for the child. */
export async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const { port } = listener
  listener.stop(true)
  return port
}

/** Objects merge key by key; anything else in `override` replaces `base`. */
export function mergeConfig(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(override)) {
    const existing = merged[key]
    merged[key] = isPlainObject(existing) && isPlainObject(value) ? mergeConfig(existing, value) : value
  }
  return merged
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
