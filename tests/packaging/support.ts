/**
 * @module
 * Shared by the packaging tests: the release build (the four `bun run release` binaries, built
 * once per test process into a temp directory and reused by every file), Debian tools installed on
 * demand, a registry started from a compiled binary, a push/pull round trip over plain fetch, and
 * readers for the program Bun embeds in ELF and Mach-O executables.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPOSITORY_ROOT } from '../support/paths'
import { freePort } from '../support/server'

export const PACKAGING = join(REPOSITORY_ROOT, 'packaging')
export const RELEASE_NAMES = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64'] as const
export type ReleaseName = (typeof RELEASE_NAMES)[number]

export interface Command {
  exitCode: number
  stdout: string
  stderr: string
}

/** Runs a command to completion and returns its output, whatever its exit code. */
export async function runCommand(
  argv: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; stdin?: string } = {},
): Promise<Command> {
  const child = Bun.spawn(argv, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdin: options.stdin === undefined ? 'ignore' : new TextEncoder().encode(options.stdin),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  return { exitCode, stdout, stderr }
}

/** Like runCommand, but a non-zero exit is an error that shows the output. */
export async function mustRun(argv: string[], options: Parameters<typeof runCommand>[1] = {}): Promise<Command> {
  const result = await runCommand(argv, options)
  if (result.exitCode !== 0) {
    throw new Error(
      `${argv.join(' ')} exited with ${result.exitCode}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    )
  }
  return result
}

const temporaries: string[] = []
/** A fresh temp directory, removed by removeTemporaries(). */
export async function temporaryDirectory(name: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), `zot-packaging-${name}-`))
  temporaries.push(directory)
  return directory
}
export async function removeTemporaries(): Promise<void> {
  await Promise.all(temporaries.splice(0).map((directory) => rm(directory, { recursive: true, force: true })))
}

/**
 * Makes sure a tool is present: when `present()` says no and we are root, installs the Debian
 * packages (the apt archive is reachable here). Returns why it is still missing, or undefined.
 */
export async function ensureTool(present: () => boolean, packages: string[]): Promise<string | undefined> {
  if (present()) return undefined
  if (process.getuid?.() !== 0) return `missing; run as root or apt-get install ${packages.join(' ')}`
  const env = { DEBIAN_FRONTEND: 'noninteractive' }
  const update = await runCommand(['apt-get', 'update', '-qq'], { env })
  if (update.exitCode !== 0) await runCommand(['apt-get', 'update', '-qq'], { env })
  const install = await runCommand(
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', ...packages],
    { env },
  )
  if (install.exitCode !== 0 || !present()) return `apt-get install ${packages.join(' ')} failed: ${install.stderr}`
  return undefined
}

export const hasCommand = (name: string) => () => Bun.which(name) !== null

// --- the release build --------------------------------------------------------------------------

export interface ReleaseBuild {
  directory: string
  binary(name: ReleaseName): string
  /** What `bun scripts/release.ts` printed. */
  output: string
  seconds: number
}

let releasing: Promise<ReleaseBuild> | undefined

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * `bun scripts/release.ts --outdir TMP`, once per test process (about 5 s with cached runtimes),
 * shared by every test file, so its directory outlives each file's removeTemporaries(). bun test
 * runs no exit hooks: the directory is named after this process, and the next run removes those
 * whose process is gone.
 */
export function releaseBuild(): Promise<ReleaseBuild> {
  releasing ??= (async () => {
    for (const entry of readdirSync(tmpdir())) {
      const owner = /^zot-packaging-release-(\d+)-/.exec(entry)?.[1]
      if (owner && !isAlive(Number(owner))) rmSync(join(tmpdir(), entry), { recursive: true, force: true })
    }
    const directory = await mkdtemp(join(tmpdir(), `zot-packaging-release-${process.pid}-`))
    const started = performance.now()
    const result = await mustRun(
      [process.execPath, join(REPOSITORY_ROOT, 'scripts/release.ts'), '--outdir', directory],
      {
        cwd: REPOSITORY_ROOT,
      },
    )
    return {
      directory,
      binary: (name) => join(directory, `zot-${name}`),
      output: result.stdout + result.stderr,
      seconds: (performance.now() - started) / 1000,
    }
  })()
  return releasing
}

/**
 * Runs `systemd-analyze verify` on a copy of `unitText` in which each `[from, to]` path is
 * replaced: verify insists that every Exec*= command exists, and the unit names its installed
 * paths. `dropIns` go to zot.service.d/ beside it, where verify reads them. Returns everything it
 * printed.
 */
export async function verifyUnit(
  unitText: string,
  paths: [string, string][],
  dropIns: Record<string, string> = {},
): Promise<{ exitCode: number; output: string }> {
  const directory = await temporaryDirectory('verify')
  const unit = join(directory, 'zot.service')
  for (const [name, text] of Object.entries(dropIns)) {
    await mkdir(join(directory, 'zot.service.d'), { recursive: true })
    await writeFile(join(directory, 'zot.service.d', name), text)
  }
  await writeFile(
    unit,
    paths.reduce((text, [from, to]) => text.replaceAll(from, to), unitText),
  )
  const result = await runCommand(['systemd-analyze', 'verify', unit], {
    env: { SYSTEMD_LOG_COLOR: '0', SYSTEMD_PAGER: '' },
  })
  return { exitCode: result.exitCode, output: result.stdout + result.stderr }
}

// --- a registry from a compiled binary -----------------------------------------------------------

export interface StartedBinary {
  url: string
  port: number
  pid: number
  /** Milliseconds from spawn to the first 200 from GET /v2/. */
  startMs: number
  exited: Promise<number>
  output(): string
  /** SIGTERM (the drain path), then the exit code. */
  stop(): Promise<number>
}

/**
 * Spawns `argv` (a binary with `serve CONFIG`, or a wrapper around it) and polls GET /v2/ on
 * `port` until it answers 200. The caller's config must listen on 127.0.0.1:`port`.
 */
export async function startServing(
  argv: string[],
  port: number,
  options: { cwd?: string; env?: Record<string, string>; pidOf?: (launcherPid: number) => number | undefined } = {},
): Promise<StartedBinary> {
  const started = performance.now()
  const child = Bun.spawn(argv, {
    cwd: options.cwd,
    env: options.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let output = ''
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) output = (output + decoder.decode(chunk, { stream: true })).slice(-200_000)
  }
  void drain(child.stdout)
  void drain(child.stderr)
  const url = `http://127.0.0.1:${port}`
  let exited = false
  void child.exited.then(() => {
    exited = true
  })
  const deadline = Date.now() + 30_000
  let startMs = 0
  for (;;) {
    if (exited) throw new Error(`${argv.join(' ')} exited with ${await child.exited} before serving:\n${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${argv.join(' ')} did not answer GET /v2/ within 30 s:\n${output}`)
    }
    const status = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) })
      .then(async (response) => {
        await response.arrayBuffer()
        return response.status
      })
      .catch(() => 0)
    if (status === 200) {
      startMs = performance.now() - started
      break
    }
    await Bun.sleep(5)
  }
  // The registry itself, when argv starts it through a launcher (strace, buildah run).
  const pid = options.pidOf?.(child.pid) ?? child.pid
  return {
    url,
    port,
    pid,
    startMs,
    exited: child.exited,
    output: () => output,
    stop: async () => {
      process.kill(pid, 'SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000)
      const code = await child.exited
      clearTimeout(timer)
      return code
    },
  }
}

/** Writes a minimal zot config listening on a free loopback port; returns its path and port. */
export async function loopbackConfig(
  directory: string,
  rootDirectory: string,
  extra: Record<string, unknown> = {},
): Promise<{ path: string; port: number }> {
  const port = await freePort()
  const path = join(directory, `config-${port}.json`)
  await writeFile(
    path,
    JSON.stringify(
      {
        ...extra,
        storage: { ...(extra.storage as object | undefined), rootDirectory },
        http: { address: '127.0.0.1', port: String(port) },
        log: { level: 'warn', ...(extra.log as object | undefined) },
      },
      null,
      2,
    ),
  )
  return { path, port }
}

/** Descendant PIDs of `pid`, depth first, from /proc/PID/task/TID/children. */
export function descendants(pid: number): number[] {
  const found: number[] = []
  const visit = (parent: number) => {
    let tasks: string[] = []
    try {
      tasks = readdirSync(`/proc/${parent}/task`)
    } catch {
      return
    }
    for (const task of tasks) {
      let children = ''
      try {
        children = readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8')
      } catch {
        continue
      }
      for (const child of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
        found.push(child)
        visit(child)
      }
    }
  }
  visit(pid)
  return found
}

/** The descendant of `pid` whose command line starts with `prefix`. */
export function descendantRunning(pid: number, prefix: string): number | undefined {
  return descendants(pid).find((candidate) => {
    try {
      return readFileSync(`/proc/${candidate}/cmdline`, 'utf8').split('\0').join(' ').startsWith(prefix)
    } catch {
      return false
    }
  })
}

/** VmRSS of a process in KiB. */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
}

// --- a push/pull round trip with fetch ------------------------------------------------------------

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/**
 * Pushes a random layer, a config and an image manifest to `repository:tag` (monolithic POST +
 * PUT uploads, as the distribution spec describes), then pulls all three back and checks every
 * byte and digest. Returns the manifest digest.
 */
export async function pushAndPullImage(url: string, repository: string, tag: string): Promise<string> {
  const layer = crypto.getRandomValues(new Uint8Array(256 * 1024))
  const config = new TextEncoder().encode(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }),
  )
  for (const blob of [layer, config]) {
    const digest = sha256(blob)
    const start = await fetch(`${url}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
    if (start.status !== 202) throw new Error(`POST upload answered ${start.status}: ${await start.text()}`)
    const location = new URL(start.headers.get('location')!, url)
    location.searchParams.set('digest', digest)
    const put = await fetch(location, {
      method: 'PUT',
      body: blob,
      headers: { 'Content-Type': 'application/octet-stream' },
    })
    if (put.status !== 201) throw new Error(`PUT blob answered ${put.status}: ${await put.text()}`)
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  })
  const put = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  })
  if (put.status !== 201) throw new Error(`PUT manifest answered ${put.status}: ${await put.text()}`)

  const pulled = await fetch(`${url}/v2/${repository}/manifests/${tag}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  })
  const pulledText = await pulled.text()
  if (pulled.status !== 200 || pulledText !== manifest) throw new Error(`pulled manifest differs (${pulled.status})`)
  if (pulled.headers.get('docker-content-digest') !== sha256(manifest)) throw new Error('wrong Docker-Content-Digest')
  for (const blob of [layer, config]) {
    const response = await fetch(`${url}/v2/${repository}/blobs/${sha256(blob)}`)
    const bytes = new Uint8Array(await response.arrayBuffer())
    if (response.status !== 200 || sha256(bytes) !== sha256(blob))
      throw new Error(`pulled blob ${sha256(blob)} differs`)
  }
  return sha256(manifest)
}

// --- what Bun embeds in an executable -------------------------------------------------------------

interface Section {
  offset: number
  size: number
}

/** The file range of an ELF64 section by name (little endian, as both Linux targets are). */
export function elfSection(file: Buffer, name: string): Section | undefined {
  const sectionHeaders = Number(file.readBigUInt64LE(0x28))
  const entrySize = file.readUInt16LE(0x3a)
  const count = file.readUInt16LE(0x3c)
  const namesIndex = file.readUInt16LE(0x3e)
  const header = (index: number) => sectionHeaders + index * entrySize
  const namesOffset = Number(file.readBigUInt64LE(header(namesIndex) + 0x18))
  for (let index = 0; index < count; index++) {
    const nameOffset = namesOffset + file.readUInt32LE(header(index))
    const sectionName = file.toString('latin1', nameOffset, file.indexOf(0, nameOffset))
    if (sectionName === name) {
      return {
        offset: Number(file.readBigUInt64LE(header(index) + 0x18)),
        size: Number(file.readBigUInt64LE(header(index) + 0x20)),
      }
    }
  }
  return undefined
}

export const MACHO_MAGIC_64 = 0xfeedfacf
export const CPU_TYPE = { x86_64: 0x01000007, arm64: 0x0100000c } as const
const LC_SEGMENT_64 = 0x19
const LC_CODE_SIGNATURE = 0x1d

interface MachO {
  cpuType: number
  sections: Map<string, Section>
  codeSignature?: Section
}

/** Load commands of a 64-bit Mach-O: its sections ("SEGMENT,section") and code signature. */
export function machO(file: Buffer): MachO {
  if (file.readUInt32LE(0) !== MACHO_MAGIC_64) throw new Error('not a 64-bit Mach-O file')
  const cpuType = file.readInt32LE(4)
  const commands = file.readUInt32LE(16)
  const sections = new Map<string, Section>()
  let codeSignature: Section | undefined
  let offset = 32
  for (let index = 0; index < commands; index++) {
    const command = file.readUInt32LE(offset)
    const size = file.readUInt32LE(offset + 4)
    if (command === LC_SEGMENT_64) {
      const count = file.readUInt32LE(offset + 64)
      for (let section = 0; section < count; section++) {
        const at = offset + 72 + section * 80
        const sectionName = file.toString('latin1', at, at + 16).replace(/\0.*$/s, '')
        const segmentName = file.toString('latin1', at + 16, at + 32).replace(/\0.*$/s, '')
        sections.set(`${segmentName},${sectionName}`, {
          offset: file.readUInt32LE(at + 48),
          size: Number(file.readBigUInt64LE(at + 40)),
        })
      }
    } else if (command === LC_CODE_SIGNATURE) {
      codeSignature = { offset: file.readUInt32LE(offset + 8), size: file.readUInt32LE(offset + 12) }
    }
    offset += size
  }
  return { cpuType, sections, codeSignature }
}

/**
 * The JavaScript modules of a `bun build --compile` executable, by their `/$bunfs/root/...` name
 * (the entry point and, with `--splitting`, its chunks). Bun stores the module graph in the `.bun`
 * ELF section or the `__BUN,__bun` Mach-O section, after an 8-byte length: each source is text
 * that starts with Bun's `// @bun` pragma (after the shebang, if any) and ends at a NUL, whether
 * or not `--bytecode` put compiled bytecode before it; each module's record holds the name's and
 * then the source's {offset, length} as 32-bit pairs (Bun 1.4's layout).
 */
export function embeddedModules(file: Buffer): Map<string, string> {
  const section =
    file.readUInt32LE(0) === MACHO_MAGIC_64 ? machO(file).sections.get('__BUN,__bun') : elfSection(file, '.bun')
  if (!section) throw new Error('no embedded Bun module graph found')
  const graph = file.subarray(section.offset + 8, section.offset + section.size)
  const modules = new Map<string, string>()
  for (let pragma = graph.indexOf('// @bun'); pragma >= 0; pragma = graph.indexOf('// @bun', pragma + 1)) {
    const shebang = graph.lastIndexOf('#!', pragma)
    const start =
      shebang >= 0 && !graph.subarray(shebang, pragma - 1).includes(0x0a) && graph[pragma - 1] === 0x0a
        ? shebang
        : pragma
    const end = graph.indexOf(0, pragma)
    const contents = Buffer.alloc(8)
    contents.writeUInt32LE(start, 0)
    contents.writeUInt32LE(end - start, 4)
    const record = graph.indexOf(contents)
    if (record < 8) throw new Error(`no module record points at the source at ${start}`)
    const nameOffset = graph.readUInt32LE(record - 8)
    modules.set(
      graph.toString('utf8', nameOffset, nameOffset + graph.readUInt32LE(record - 4)),
      graph.toString('utf8', start, end),
    )
  }
  if (modules.size === 0) throw new Error('no "// @bun" source in the embedded module graph')
  // Files the sources import that are not JavaScript (zot's search schema, loaded as text) are
  // embedded too, as {name, contents} records without the pragma: found by their name.
  for (const source of [...modules.values()]) {
    for (const [, name] of source.matchAll(/"(\/\$bunfs\/root\/[^"]+)"/g)) {
      if (name && !modules.has(name)) {
        const contents = embeddedFile(graph, name)
        if (contents !== undefined) modules.set(name, contents)
      }
    }
  }
  return modules
}

/** The contents of the embedded file named `name`: a record's name pair points at the name. */
function embeddedFile(graph: Buffer, name: string): string | undefined {
  const pair = Buffer.alloc(8)
  for (let at = graph.indexOf(name); at >= 0; at = graph.indexOf(name, at + 1)) {
    pair.writeUInt32LE(at, 0)
    pair.writeUInt32LE(Buffer.byteLength(name), 4)
    const record = graph.indexOf(pair)
    if (record < 0) continue
    const start = graph.readUInt32LE(record + 8)
    return graph.toString('utf8', start, start + graph.readUInt32LE(record + 12))
  }
  return undefined
}

/**
 * Checks an ad-hoc Mach-O code signature the way the kernel does on Apple Silicon: every page
 * hash in the CodeDirectory must match the file. Returns the number of pages checked; throws on
 * the first mismatch.
 */
export function verifyCodeDirectory(file: Buffer): number {
  const { codeSignature } = machO(file)
  if (!codeSignature) throw new Error('no LC_CODE_SIGNATURE')
  // Anything after the signature is outside it: `codesign --strict` rejects a stale tail.
  if (codeSignature.offset + codeSignature.size !== file.length) throw new Error('bytes follow the code signature')
  const blob = file.subarray(codeSignature.offset, codeSignature.offset + codeSignature.size)
  if (blob.readUInt32BE(0) !== 0xfade0cc0) throw new Error('code signature is not an embedded SuperBlob')
  const count = blob.readUInt32BE(8)
  for (let index = 0; index < count; index++) {
    const at = blob.readUInt32BE(12 + index * 8 + 4)
    if (blob.readUInt32BE(at) !== 0xfade0c02) continue
    const directory = blob.subarray(at)
    const hashOffset = directory.readUInt32BE(16)
    const codeSlots = directory.readUInt32BE(28)
    const codeLimit = directory.readUInt32BE(32)
    const hashSize = directory.readUInt8(36)
    const hashType = directory.readUInt8(37)
    const pageSize = 2 ** directory.readUInt8(39)
    if (hashType !== 2 || hashSize !== 32) throw new Error(`unexpected hash type ${hashType}`)
    if ((directory.readUInt32BE(12) & 0x2) === 0) throw new Error('not an ad-hoc signature')
    if (codeLimit !== codeSignature.offset)
      throw new Error(`code limit ${codeLimit} is not where the signature starts (${codeSignature.offset})`)
    for (let slot = 0; slot < codeSlots; slot++) {
      const page = file.subarray(slot * pageSize, Math.min((slot + 1) * pageSize, codeLimit))
      const expected = directory.subarray(hashOffset + slot * 32, hashOffset + (slot + 1) * 32)
      if (!createHash('sha256').update(page).digest().equals(expected))
        throw new Error(`page ${slot} does not match its hash`)
    }
    return codeSlots
  }
  throw new Error('no CodeDirectory in the signature')
}
