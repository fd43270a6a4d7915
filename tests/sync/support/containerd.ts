/**
 * @module
 * A private containerd (root, state and socket in a temp directory, CRI off) and `ctr` against
 * it, for mirror tests: `hosts.toml` files go in a hosts directory the test writes, and every
 * `server =` there must be a loopback address (containerd falls back to it on a mirror 404).
 * Stopped by the PID we started.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run, type CommandResult } from '../../support/clients'

export interface Containerd {
  hostsDirectory: string
  /** Writes `<hostsDirectory>/<host>/hosts.toml`. */
  writeHosts(host: string, content: string): Promise<void>
  ctr(args: string[]): Promise<CommandResult>
  /** Fetches an image's content (no unpacking: test layers are not tarballs). */
  fetch(reference: string): Promise<CommandResult>
  /** The digests containerd stored. */
  contentDigests(): Promise<Set<string>>
  stop(): Promise<void>
}

/** A hosts.toml that pulls and resolves through `mirror` only, `server` being the fallback. */
export const mirrorOnly = (server: string, mirror: string, overridePath = false): string =>
  [
    `server = "${server}"`,
    '',
    `[host."${mirror}"]`,
    '  capabilities = ["pull", "resolve"]',
    ...(overridePath ? ['  override_path = true'] : []),
    '',
  ].join('\n')

export async function startContainerd(): Promise<Containerd> {
  const directory = await mkdtemp(join(tmpdir(), 'zot-sync-containerd-'))
  const socket = join(directory, 'containerd.sock')
  const hostsDirectory = join(directory, 'hosts')
  await mkdir(hostsDirectory)
  const configPath = join(directory, 'config.toml')
  await writeFile(
    configPath,
    [
      'version = 2',
      `root = ${JSON.stringify(join(directory, 'root'))}`,
      `state = ${JSON.stringify(join(directory, 'state'))}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = ${JSON.stringify(socket)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(`${socket}.ttrpc`)}`,
      '',
    ].join('\n'),
  )
  const child = Bun.spawn(['containerd', '--config', configPath], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  })
  const stderr = new Response(child.stderr).text()
  const deadline = Date.now() + 15_000
  while (!existsSync(socket)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL')
      throw new Error(`containerd did not start: ${await stderr}`)
    }
    await Bun.sleep(20)
  }
  const ctr = (args: string[]) => run('ctr', ['-a', socket, '-n', 'sync-test', ...args])
  return {
    hostsDirectory,
    writeHosts: async (host, content) => {
      await mkdir(join(hostsDirectory, host), { recursive: true })
      await writeFile(join(hostsDirectory, host, 'hosts.toml'), content)
    },
    ctr,
    fetch: (reference) => ctr(['content', 'fetch', '--plain-http', '--hosts-dir', hostsDirectory, reference]),
    contentDigests: async () =>
      new Set((await ctr(['content', 'ls', '-q'])).stdout.split('\n').filter((line) => line.startsWith('sha256:'))),
    stop: async () => {
      child.kill('SIGTERM')
      await child.exited
      await stderr
      await rm(directory, { recursive: true, force: true })
    },
  }
}
