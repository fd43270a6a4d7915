/**
 * @module
 * `bun run release` (scripts/release.ts): four binaries with checksums, each built for its
 * platform and carrying the same program; the linux-x64 one serves a push/pull round trip alone
 * in an empty directory, the linux-arm64 one answers `--version` under qemu-user-static, the
 * darwin ones carry a valid ad-hoc code signature. Prints sizes, start-to-first-200 and idle RSS.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFile, readdir, readFile, readlink, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import packageJson from '../../package.json' with { type: 'json' }
import { sha256File } from '../../scripts/release'
import { REPOSITORY_ROOT } from '../support/paths'
import {
  CPU_TYPE,
  embeddedModules,
  verifyCodeDirectory,
  ensureTool,
  hasCommand,
  loopbackConfig,
  machO,
  mustRun,
  pushAndPullImage,
  RELEASE_NAMES,
  releaseBuild,
  type ReleaseBuild,
  removeTemporaries,
  rssKiB,
  startServing,
  temporaryDirectory,
} from './support'

const ELF_MACHINE = { 'linux-x64': 62, 'linux-arm64': 183 } as const
const ELF_INTERPRETER = {
  'linux-x64': '/lib64/ld-linux-x86-64.so.2',
  'linux-arm64': '/lib/ld-linux-aarch64.so.1',
} as const
/** Per test: the slow parts are qemu (a few seconds) and hashing 400 MB. */
const TIMEOUT_MS = 60_000
const MACHO_CPU = { 'darwin-x64': CPU_TYPE.x86_64, 'darwin-arm64': CPU_TYPE.arm64 } as const

let release: ReleaseBuild
let nativeVersion = ''

beforeAll(async () => {
  release = await releaseBuild()
  nativeVersion = (await mustRun([release.binary('linux-x64'), '--version'])).stdout.trim()
}, 120_000)
afterAll(removeTemporaries)

describe('bun run release', () => {
  test(
    'builds zot-<os>-<arch> for the four targets, each with a sha256sum-format checksum',
    async () => {
      const files = (await readdir(release.directory)).sort()
      expect(files).toEqual(RELEASE_NAMES.flatMap((name) => [`zot-${name}`, `zot-${name}.sha256`]).sort())
      const sizes: string[] = []
      for (const name of RELEASE_NAMES) {
        const binary = release.binary(name)
        const { size, mode } = await stat(binary)
        expect(mode & 0o111).not.toBe(0)
        // The Bun runtime is ~85-103 MB, the program and its bytecode ~8 MB; far more would mean
        // something unwanted got embedded.
        expect(size).toBeGreaterThan(50 * 2 ** 20)
        expect(size).toBeLessThan(130 * 2 ** 20)
        sizes.push(`${name} ${(size / 2 ** 20).toFixed(1)} MiB`)
        expect(await readFile(`${binary}.sha256`, 'utf8')).toBe(`${await sha256File(binary)}  zot-${name}\n`)
      }
      // The standard tool accepts them as they are.
      const check = await mustRun(['sha256sum', '--check', ...RELEASE_NAMES.map((name) => `zot-${name}.sha256`)], {
        cwd: release.directory,
      })
      expect(check.stdout.trim().split('\n')).toEqual(RELEASE_NAMES.map((name) => `zot-${name}: OK`))
      console.log(`release build ${release.seconds.toFixed(1)} s; sizes: ${sizes.join(', ')}`)
    },
    TIMEOUT_MS,
  )

  test(
    'each binary is an executable for its own OS and CPU',
    async () => {
      for (const name of ['linux-x64', 'linux-arm64'] as const) {
        const file = await readFile(release.binary(name))
        expect(file.subarray(0, 4).toString('latin1')).toBe('\x7fELF')
        expect(file.readUInt16LE(0x12)).toBe(ELF_MACHINE[name])
        expect(file.includes(Buffer.from(`${ELF_INTERPRETER[name]}\0`))).toBe(true)
      }
      for (const name of ['darwin-x64', 'darwin-arm64'] as const) {
        expect(machO(await readFile(release.binary(name))).cpuType).toBe(MACHO_CPU[name])
      }
    },
    TIMEOUT_MS,
  )

  test(
    'the darwin binaries carry a valid ad-hoc code signature (Apple Silicon runs nothing unsigned)',
    async () => {
      // Bun 1.4.5 leaves darwin-x64 with the runtime's stale signature; release.ts re-signs it.
      for (const name of ['darwin-arm64', 'darwin-x64'] as const) {
        expect(verifyCodeDirectory(await readFile(release.binary(name)))).toBeGreaterThan(1000)
      }
    },
    TIMEOUT_MS,
  )

  test(
    '--version names the package version, the commit and distribution-spec 1.1.1',
    async () => {
      const commit = (await mustRun(['git', 'rev-parse', '--short=12', 'HEAD'], { cwd: REPOSITORY_ROOT })).stdout.trim()
      expect(nativeVersion).toBe(`zot ${packageJson.version} (commit ${commit}, distribution-spec 1.1.1)`)
    },
    TIMEOUT_MS,
  )

  test(
    'all four embed the same minified program, so all four print the same --version',
    async () => {
      const programs = await Promise.all(
        RELEASE_NAMES.map(async (name) => embeddedModules(await readFile(release.binary(name)))),
      )
      // Compared by digest: a diff of two 1 MB lines says nothing. (Each target is bundled on its own,
      // so sources edited while the release builds also make them differ.)
      const digest = (source: string) => new Bun.CryptoHasher('sha256').update(source).digest('hex')
      // The entry point is named after the output file (`zot-linux-x64`); chunks are `<name>-<hash>.js`,
      // files loaded as text (the search schema) `<name>-<hash>.<ext>`.
      const isEntry = (name: string) => !/\.\w+$/.test(name)
      const isProgram = (name: string) => isEntry(name) || name.endsWith('.js')
      const digests = (modules: Map<string, string>) =>
        Object.fromEntries([...modules].map(([name, source]) => [isEntry(name) ? '(entry)' : name, digest(source)]))
      expect(Object.fromEntries(RELEASE_NAMES.map((name, index) => [name, digests(programs[index]!)]))).toEqual(
        Object.fromEntries(RELEASE_NAMES.map((name) => [name, digests(programs[0]!)])),
      )
      // The entry point and the chunks --splitting loads on demand (S3, sync, logins).
      const modules = programs[RELEASE_NAMES.indexOf('darwin-arm64')]!
      expect([...modules.keys()].filter(isEntry)).toEqual(['/$bunfs/root/zot-darwin-arm64'])
      expect(modules.size).toBeGreaterThan(5)
      // Minified, without a source map: about 3.2 MB in all (the AWS clients for S3, Secrets Manager
      // and ECR are most of it, each a chunk loaded only when configured), in a few hundred lines.
      const sources = [...modules].filter(([name]) => isProgram(name)).map(([, source]) => source)
      expect(sources.reduce((total, source) => total + source.length, 0)).toBeLessThan(4_000_000)
      expect(sources.reduce((total, source) => total + source.split('\n').length, 0)).toBeLessThan(2_000)
      for (const source of sources) expect(source).not.toContain('sourceMappingURL')
      // Run the darwin binaries' program with this Bun: what they print on a Mac. Chunks import
      // each other by their embedded path, which becomes the directory they are written to.
      const directory = await temporaryDirectory('program')
      // The binary knows the search schema is text; a plain run learns it from bunfig.toml.
      await Bun.write(join(directory, 'bunfig.toml'), '[loader]\n".graphql" = "text"\n')
      for (const [name, source] of modules) {
        await Bun.write(
          join(directory, isEntry(name) ? 'zot.js' : basename(name)),
          source.replaceAll('"/$bunfs/root/', '"./'),
        )
      }
      expect(
        (await mustRun([process.execPath, join(directory, 'zot.js'), '--version'], { cwd: directory })).stdout.trim(),
      ).toBe(nativeVersion)
    },
    TIMEOUT_MS,
  )

  test(
    'the linux-arm64 binary answers --version under qemu-user-static like the x64 one',
    async () => {
      const missing = await ensureTool(
        () =>
          hasCommand('qemu-aarch64-static')() && Bun.file('/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1').size > 0,
        ['qemu-user-static', 'libc6-arm64-cross'],
      )
      if (missing) throw new Error(`qemu-aarch64-static: ${missing}`)
      const result = await mustRun([
        'qemu-aarch64-static',
        '-L',
        '/usr/aarch64-linux-gnu',
        release.binary('linux-arm64'),
        '--version',
      ])
      expect(result.stdout.trim()).toBe(nativeVersion)
    },
    TIMEOUT_MS,
  )

  test(
    'the linux-x64 binary, alone in an empty directory, serves a push/pull round trip',
    async () => {
      const workDirectory = await temporaryDirectory('alone')
      const binary = join(workDirectory, 'zot')
      await copyFile(release.binary('linux-x64'), binary)
      // The config lives elsewhere; storage is relative, so it lands in the work directory.
      const { path, port } = await loopbackConfig(await temporaryDirectory('alone-config'), './data')
      const registry = await startServing([binary, 'serve', path], port, {
        cwd: workDirectory,
        env: { PATH: '/usr/bin:/bin' },
      })
      try {
        expect(await readlink(`/proc/${registry.pid}/exe`)).toBe(binary)
        expect(await readlink(`/proc/${registry.pid}/cwd`)).toBe(workDirectory)
        await Bun.sleep(1_000)
        const idle = await rssKiB(registry.pid)
        const digest = await pushAndPullImage(registry.url, 'release/round-trip', 'v1')
        expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
        const after = await rssKiB(registry.pid)
        expect((await readdir(workDirectory)).sort()).toEqual(['data', 'zot'])
        // Guards against a regression of an order of magnitude, not a benchmark.
        expect(idle).toBeLessThan(150 * 1024)
        console.log(
          `linux-x64 binary: start-to-first-200 ${registry.startMs.toFixed(0)} ms, idle RSS ${(idle / 1024).toFixed(1)} MiB, after the round trip ${(after / 1024).toFixed(1)} MiB`,
        )
      } finally {
        expect(await registry.stop()).toBe(0)
      }
    },
    TIMEOUT_MS,
  )
})
