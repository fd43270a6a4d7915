/**
 * @module
 * `zot sync warm CONFIG IMAGE...`: pre-pulls images into the cache of the running server CONFIG
 * describes (before an edge box goes offline), through its HTTP API as any client: manifests,
 * then every blob, each digest checked. A progress line on a terminal, one line per image
 * otherwise, a summary at the end; exit 1 when any image failed (each named, with the reason)
 * or the server cannot be reached.
 */
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { Config } from '../lib/config'
import type { MaintenanceIo } from '../lib/maintenance'
import { formatBytes, formatElapsed, plural } from '../lib/maintenance/reports/format'
import { resolveRegistry } from '../lib/sync/config'
import { parsePlatform, type PlatformSpec } from '../lib/sync/platforms'
import type { Credentials } from '../lib/sync/upstream/credentials'
import { serverTls, serverUrl } from '../lib/sync/warm/server-address'
import { ServerClient, ServerUnreachableError } from '../lib/sync/warm/server-client'
import { type WarmRequest, type WarmResult, warmImages } from '../lib/sync/warm/warm-images'
import { startWarmProgress } from '../lib/sync/warm/warm-progress'
import { warmTarget } from '../lib/sync/warm/warm-target'
import { processIo } from './io'
import { loadConfigOrExplain } from './load-config'

export interface WarmCommandOptions {
  config: Config
  images: readonly string[]
  /** `--platform`, parsed; empty: each image's registry entry decides. */
  platforms: readonly PlatformSpec[]
  concurrency: number
  json: boolean
  /** `--url`: the server's address when the config's does not reach it. */
  url?: string
  credentials?: Credentials
  /** Longest wait for an answer or a byte from the server (ms). */
  idleMs?: number
}

const DEFAULT_CONCURRENCY = 3
/** The server may wait `responseHeaderTimeout` (30 s by default) on an upstream per attempt. */
const DEFAULT_IDLE_MS = 120_000

const positiveInteger = (value: string): number => {
  const number = Number(value)
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('a whole number of at least 1')
  return number
}

const platformOption = (value: string, previous: string[]): string[] => {
  if (!/^[^/\s]+(\/[^/\s]+){0,2}$/.test(value)) throw new InvalidArgumentError('os/arch, os/arch/variant or arch')
  return [...previous, value]
}

/** Adds `sync` and its `warm` to the program. */
export function registerSync(program: Command): void {
  const sync = program.command('sync').description('work with the pull-through cache of a running server')
  sync
    .command('warm')
    .description('pre-pull images into the cache of the running server CONFIG describes, through its API')
    .argument('<config>', 'zot configuration file of the running server')
    .argument('<images...>', 'images as host/repo:tag, repo:tag or repo@digest')
    .addOption(
      new Option('--platform <os/arch>', 'a platform of an index to warm, repeatable')
        .argParser(platformOption)
        .default([], "the config's platforms, else all"),
    )
    .option('--concurrency <n>', `blobs pulled at once (default ${DEFAULT_CONCURRENCY})`, positiveInteger)
    .option('--json', 'print the results as JSON')
    .option('--url <url>', "the server's URL, when http.address and http.port do not reach it")
    .option('--username <name>', 'user to authenticate as')
    .option('--password-stdin', 'read the password (or an API key) from stdin')
    .action(
      async (
        path: string,
        images: string[],
        options: {
          platform: string[]
          concurrency?: number
          json?: boolean
          url?: string
          username?: string
          passwordStdin?: boolean
        },
      ) => {
        const loaded = await loadConfigOrExplain(path, 'sync warm')
        if (!loaded) return void (process.exitCode = 1)
        const io = processIo()
        if (options.passwordStdin && !options.username) {
          io.err('zot sync warm: --password-stdin needs --username')
          return void (process.exitCode = 1)
        }
        const password = options.passwordStdin ? (await Bun.stdin.text()).replace(/\r?\n$/, '') : undefined
        process.exitCode = await warmCommand(
          {
            config: loaded.config,
            images,
            platforms: options.platform.map(parsePlatform),
            concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
            json: options.json ?? false,
            ...(options.url && { url: options.url.replace(/\/+$/, '') }),
            ...(options.username && { credentials: { username: options.username, password: password ?? '' } }),
          },
          io,
        )
      },
    )
}

/**
 * Runs the command; resolves to the exit code: 0 every image warmed, 1 otherwise.
 *
 * @example
 * process.exitCode = await warmCommand({ config, images: ['docker.io/library/alpine:3'], platforms: [],
 *   concurrency: 3, json: false }, processIo())
 */
export async function warmCommand(options: WarmCommandOptions, io: MaintenanceIo): Promise<number> {
  const { config } = options
  const url = options.url ?? serverUrl(config.http)
  let client: ServerClient
  try {
    client = new ServerClient({
      url,
      tls: await serverTls(config.http),
      idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
      ...(options.credentials && { credentials: options.credentials }),
    })
    await client.check()
  } catch (error) {
    io.err(`zot sync warm: ${(error as Error).message}`)
    if (error instanceof ServerUnreachableError)
      io.err('  Is `zot serve CONFIG` running, and is CONFIG its configuration?')
    return 1
  }
  const registries = (config.extensions?.sync?.registries ?? []).map(resolveRegistry)
  const requests = options.images.map((image): WarmRequest => {
    try {
      return warmTarget(image, registries)
    } catch (error) {
      return { image, error: (error as Error).message }
    }
  })
  const started = performance.now()
  const progress = options.json ? undefined : startWarmProgress(io)
  const say = (write: () => void): void => (progress ? progress.print(write) : write())
  const results = await warmImages({
    client,
    requests,
    ...(options.platforms.length > 0 && { platforms: options.platforms }),
    concurrency: options.concurrency,
    ...(progress && { onProgress: (state) => progress.update(state) }),
    onImage: (result) => {
      if (!options.json) say(() => imageLine(result, io))
    },
  })
  progress?.stop()
  const elapsed = performance.now() - started
  if (options.json) io.out(JSON.stringify(warmJson(results, elapsed), null, 2))
  else io.out(summaryLine(results, elapsed))
  return results.some((result) => result.error !== undefined) ? 1 : 0
}

function imageLine(result: WarmResult, io: MaintenanceIo): void {
  if (result.error !== undefined) return io.err(`zot sync warm: ${result.image} failed: ${result.error}`)
  const platforms = result.platforms.length > 0 ? ` ${result.platforms.join(', ')}` : ''
  io.out(
    `warmed ${result.image} ${result.digest}${platforms} (${plural(result.blobs, 'blob')}, ${formatBytes(result.bytes)})`,
  )
}

function summaryLine(results: readonly WarmResult[], elapsedMs: number): string {
  const warmed = results.filter((result) => result.error === undefined)
  const failed = results.filter((result) => result.error !== undefined)
  const bytes = warmed.reduce((sum, result) => sum + result.bytes, 0)
  const blobs = warmed.reduce((sum, result) => sum + result.blobs, 0)
  let line = `warmed ${warmed.length} of ${plural(results.length, 'image')} (${plural(blobs, 'blob')}, ${formatBytes(bytes)}) in ${formatElapsed(elapsedMs)}`
  if (failed.length > 0) line += `; failed: ${failed.map((result) => result.image).join(', ')}`
  return line
}

const warmJson = (results: readonly WarmResult[], elapsedMs: number) => ({
  images: results,
  warmed: results.filter((result) => result.error === undefined).length,
  failed: results.filter((result) => result.error !== undefined).length,
  seconds: Math.round(elapsedMs) / 1000,
})
