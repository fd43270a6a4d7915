/**
 * @module
 * Real container clients (skopeo, buildah, podman) in an isolated environment: their storage
 * (vfs driver, so nothing is mounted and a plain `rm -r` cleans up), registries.conf, auth file,
 * containers.conf and temp files all live in one temp directory, never in the machine's global
 * state. TLS verification is switched off on every command because skopeo 1.9.3 ignores
 * `CONTAINERS_REGISTRIES_CONF` and `buildah manifest push` ignores `insecure = true`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface CommandResult {
  stdout: string
  stderr: string
}

export class CommandError extends Error {
  constructor(
    readonly command: string[],
    readonly exitCode: number | null,
    readonly result: CommandResult,
  ) {
    const output = `--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`
    super(`${command.join(' ')} exited with ${exitCode}\n${output}`)
  }
}

/** Runs a command to completion; throws CommandError (with its output) unless it exits 0. */
export async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<CommandResult> {
  const child = Bun.spawn([command, ...args], {
    env: { ...process.env, ...env },
    cwd,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  if (exitCode !== 0) throw new CommandError([command, ...args], exitCode, { stdout, stderr })
  return { stdout, stderr }
}

export interface ClientEnvironment {
  /** The temp directory holding everything the clients write. */
  directory: string
  /** Environment variables that point the clients at `directory`. */
  env: Record<string, string>
  /** A fresh directory under `directory`, for layouts and pulled images. */
  scratch(name: string): Promise<string>
  skopeo(args: string[]): Promise<CommandResult>
  buildah(args: string[]): Promise<CommandResult>
  podman(args: string[]): Promise<CommandResult>
  cleanup(): Promise<void>
}

/** Creates an isolated client environment that treats each of `insecureHosts` as plain HTTP. */
export async function createClientEnvironment(insecureHosts: string[]): Promise<ClientEnvironment> {
  const directory = await mkdtemp(join(tmpdir(), 'zot-e2e-clients-'))
  const path = (name: string) => join(directory, name)
  await Promise.all(['home', 'tmp', 'storage', 'runroot', 'engine-tmp', 'scratch'].map((name) => mkdir(path(name))))
  await Promise.all([
    writeFile(
      path('storage.conf'),
      [
        '[storage]',
        'driver = "vfs"',
        `graphroot = ${JSON.stringify(path('storage'))}`,
        `runroot = ${JSON.stringify(path('runroot'))}`,
        '',
      ].join('\n'),
    ),
    writeFile(
      path('registries.conf'),
      [
        'unqualified-search-registries = []',
        ...insecureHosts.flatMap((host) => ['[[registry]]', `location = ${JSON.stringify(host)}`, 'insecure = true']),
        '',
      ].join('\n'),
    ),
    writeFile(
      path('containers.conf'),
      [
        '[engine]',
        // podman's defaults (/run/libpod, journald events) are machine-global.
        `tmp_dir = ${JSON.stringify(path('engine-tmp'))}`,
        'events_logger = "none"',
        'cgroup_manager = "cgroupfs"',
        '',
      ].join('\n'),
    ),
    writeFile(path('auth.json'), JSON.stringify({ auths: {} })),
  ])
  const env = {
    CONTAINERS_STORAGE_CONF: path('storage.conf'),
    CONTAINERS_REGISTRIES_CONF: path('registries.conf'),
    CONTAINERS_CONF: path('containers.conf'),
    REGISTRY_AUTH_FILE: path('auth.json'),
    HOME: path('home'),
    // Big intermediate files (layer copies, pulled blobs) go where cleanup() finds them.
    TMPDIR: path('tmp'),
  }
  let scratchCount = 0
  return {
    directory,
    env,
    scratch: async (name) => {
      const scratchDirectory = join(directory, 'scratch', `${scratchCount++}-${name}`)
      await mkdir(scratchDirectory, { recursive: true })
      return scratchDirectory
    },
    skopeo: (args) => run('skopeo', withTlsFlags('skopeo', args), env),
    buildah: (args) => run('buildah', withTlsFlags('buildah', args), env),
    podman: (args) => run('podman', withTlsFlags('podman', args), env),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  }
}

/** Subcommands that talk to a registry, and the flags that switch TLS verification off. */
const TLS_FLAGS: Record<string, Record<string, string[]>> = {
  skopeo: {
    copy: ['--src-tls-verify=false', '--dest-tls-verify=false'],
    sync: ['--src-tls-verify=false', '--dest-tls-verify=false'],
    inspect: ['--tls-verify=false'],
    'list-tags': ['--tls-verify=false'],
    delete: ['--tls-verify=false'],
    login: ['--tls-verify=false'],
  },
  buildah: {
    push: ['--tls-verify=false'],
    pull: ['--tls-verify=false'],
    from: ['--tls-verify=false'],
    login: ['--tls-verify=false'],
  },
  podman: {
    push: ['--tls-verify=false'],
    pull: ['--tls-verify=false'],
    login: ['--tls-verify=false'],
  },
}

/** Inserts the TLS flags right after the subcommand (`manifest push` counts as `push`). */
function withTlsFlags(tool: string, args: string[]): string[] {
  const subcommandIndex = args[0] === 'manifest' ? 1 : 0
  const subcommand = args[subcommandIndex]
  const flags = (subcommand && TLS_FLAGS[tool]?.[subcommand]) || []
  return [...args.slice(0, subcommandIndex + 1), ...flags, ...args.slice(subcommandIndex + 1)]
}
