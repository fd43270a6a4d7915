/**
 * @module
 * packaging/install.sh on Linux, run with `--root DIR` so that it installs into a temporary root
 * and never touches this machine (no useradd, systemctl or files outside DIR): the expected files
 * with their modes and owners, the service user, shell completions and man page, an enabled unit that still verifies clean, a
 * second run that changes nothing, `--uninstall` that keeps config and data, `--purge` that does
 * not, and the refusals (32-bit ARM, a binary that does not match its checksum).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmod, copyFile, lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import {
  mustRun,
  PACKAGING,
  releaseBuild,
  removeTemporaries,
  runCommand,
  temporaryDirectory,
  verifyUnit,
} from './support'

const TIMEOUT_MS = 60_000
const INSTALL = join(PACKAGING, 'install.sh')

let binary = ''
let version = ''
beforeAll(async () => {
  const release = await releaseBuild()
  // A copy with its checksum file, as a user downloads them.
  const downloads = await temporaryDirectory('downloads')
  binary = join(downloads, 'zot-linux-x64')
  await copyFile(release.binary('linux-x64'), binary)
  await copyFile(`${release.binary('linux-x64')}.sha256`, `${binary}.sha256`)
  version = (await mustRun([binary, '--version'])).stdout.trim()
}, 120_000)
afterAll(removeTemporaries)

const install = (root: string, ...args: string[]) =>
  runCommand(['sh', INSTALL, '--root', root, '--os', 'Linux', '--arch', 'x86_64', '--binary', binary, ...args])

/** Every path under `root` with type, mode, owner and content hash (or link target). */
async function snapshot(root: string): Promise<string[]> {
  const lines: string[] = []
  for (const entry of await readdir(root, { recursive: true })) {
    const path = join(root, entry)
    const info = await lstat(path)
    const what = info.isSymbolicLink()
      ? `-> ${await readlink(path)}`
      : info.isFile()
        ? new Bun.CryptoHasher('sha256').update(await readFile(path)).digest('hex')
        : 'dir'
    lines.push(`${relative(root, path)} ${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid} ${what}`)
  }
  return lines.sort()
}

const passwdEntry = async (root: string) =>
  (await readFile(join(root, 'etc/passwd'), 'utf8')).split('\n').filter((line) => line.startsWith('zot:'))

describe('packaging/install.sh on Linux (in a temporary root)', () => {
  test(
    'installs the binary, user, directories, config, probe and an enabled, verifiable unit',
    async () => {
      const hostPasswd = await readFile('/etc/passwd', 'utf8')
      const root = await temporaryDirectory('root')
      const result = await install(root)
      expect(result.stderr).toBe('')
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toContain('checksum of zot-linux-x64 verified')
      expect(result.stdout).toContain(`installing ${version}`)

      const [user] = await passwdEntry(root)
      expect(user).toMatch(/^zot:x:\d+:\d+::\/var\/lib\/zot:\/usr\/sbin\/nologin$/)
      const [uid, gid] = user!.split(':').slice(2, 4).map(Number)
      const file = async (path: string) => ({
        info: await lstat(join(root, path)),
        text: () => readFile(join(root, path), 'utf8'),
      })

      const zot = await file('usr/local/bin/zot')
      expect(zot.info.mode & 0o777).toBe(0o755)
      expect((await mustRun([join(root, 'usr/local/bin/zot'), '--version'])).stdout.trim()).toBe(version)
      expect((await file('usr/local/lib/zot/zot-ready')).info.mode & 0o777).toBe(0o755)

      const data = await file('var/lib/zot')
      expect(data.info.isDirectory()).toBe(true)
      expect(data.info.mode & 0o777).toBe(0o750)
      expect([data.info.uid, data.info.gid]).toEqual([uid!, gid!])

      const config = await file('etc/zot/config.json')
      expect(config.info.mode & 0o777).toBe(0o640)
      expect([config.info.uid, config.info.gid]).toEqual([0, gid!])
      expect(await config.text()).toBe(await readFile(join(PACKAGING, 'systemd/config.json'), 'utf8'))
      expect(await (await file('etc/default/zot')).text()).toContain('\nZOT_READY_URL=http://127.0.0.1:5000/readyz\n')

      const unit = await (await file('etc/systemd/system/zot.service')).text()
      expect(unit).toBe(await readFile(join(PACKAGING, 'systemd/zot.service'), 'utf8'))
      expect(await readlink(join(root, 'etc/systemd/system/multi-user.target.wants/zot.service'))).toBe(
        '/etc/systemd/system/zot.service',
      )
      // The installed unit, its installed binary and probe (inside the temp root) verify clean.
      const verified = await verifyUnit(unit, [['/usr/local/', join(root, 'usr/local/')]])
      expect(verified.output).toBe('')

      // Nothing outside the root changed.
      expect(await readFile('/etc/passwd', 'utf8')).toBe(hostPasswd)
    },
    TIMEOUT_MS,
  )

  test(
    'installs the bash, zsh and fish completions and the man page the binary prints; --uninstall removes them',
    async () => {
      const root = await temporaryDirectory('root-completions')
      const result = await install(root)
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toContain('installed bash, zsh and fish completions and the man page')
      const expected: [string, string[]][] = [
        ['usr/local/share/bash-completion/completions/zot', ['completion', 'bash']],
        ['usr/local/share/zsh/site-functions/_zot', ['completion', 'zsh']],
        ['usr/local/share/fish/vendor_completions.d/zot.fish', ['completion', 'fish']],
        ['usr/local/share/man/man1/zot.1', ['man']],
      ]
      for (const [path, args] of expected) {
        expect((await lstat(join(root, path))).mode & 0o777).toBe(0o644)
        expect(await readFile(join(root, path), 'utf8')).toBe((await mustRun([binary, ...args])).stdout)
      }
      expect((await install(root, '--uninstall')).exitCode).toBe(0)
      const left = (await snapshot(root)).map((line) => line.split(' ')[0])
      for (const [path] of expected) expect(left).not.toContain(path)
    },
    TIMEOUT_MS,
  )

  test(
    'is idempotent: a second run changes no file, mode or owner and adds no user',
    async () => {
      const root = await temporaryDirectory('root-twice')
      expect((await install(root)).exitCode).toBe(0)
      const first = await snapshot(root)
      const again = await install(root)
      expect(again.exitCode).toBe(0)
      expect(again.stdout).toContain('user zot exists')
      expect(again.stdout).toContain('keeping existing /etc/zot/config.json')
      expect(await snapshot(root)).toEqual(first)
      expect(await passwdEntry(root)).toHaveLength(1)
    },
    TIMEOUT_MS,
  )

  test(
    'never overwrites a config the user edited; --port and --address shape a new one',
    async () => {
      const root = await temporaryDirectory('root-config')
      expect((await install(root, '--address', '0.0.0.0', '--port', '5050')).exitCode).toBe(0)
      const path = join(root, 'etc/zot/config.json')
      const config = JSON.parse(await readFile(path, 'utf8'))
      expect(config.http).toEqual({ address: '0.0.0.0', port: '5050' })
      // The probe asks over loopback when the registry listens on every address.
      expect(await readFile(join(root, 'etc/default/zot'), 'utf8')).toContain(
        'ZOT_READY_URL=http://127.0.0.1:5050/readyz',
      )
      await writeFile(path, JSON.stringify({ ...config, log: { level: 'debug' } }))
      const edited = await readFile(path, 'utf8')
      expect((await install(root, '--port', '6000')).exitCode).toBe(0)
      expect(await readFile(path, 'utf8')).toBe(edited)
    },
    TIMEOUT_MS,
  )

  test(
    '--edge installs the edge config and the memory-limit drop-in, and the unit still verifies',
    async () => {
      const root = await temporaryDirectory('root-edge')
      const result = await install(root, '--edge')
      expect(result.exitCode).toBe(0)
      expect(await readFile(join(root, 'etc/zot/config.json'), 'utf8')).toBe(
        await readFile(join(PACKAGING, 'edge/config.json'), 'utf8'),
      )
      expect(await readFile(join(root, 'etc/default/zot'), 'utf8')).toContain(
        'ZOT_READY_URL=http://127.0.0.1:5000/readyz',
      )
      const dropIn = join(root, 'etc/systemd/system/zot.service.d/edge.conf')
      expect(await readFile(dropIn, 'utf8')).toBe(
        await readFile(join(PACKAGING, 'edge/zot.service.d/edge.conf'), 'utf8'),
      )
      // systemd-analyze reads drop-ins from a zot.service.d beside the unit it verifies.
      const unit = await readFile(join(root, 'etc/systemd/system/zot.service'), 'utf8')
      const verified = await verifyUnit(unit, [['/usr/local/', join(root, 'usr/local/')]], {
        'edge.conf': await readFile(dropIn, 'utf8'),
      })
      expect(verified.output).toBe('')
      const broken = await verifyUnit(unit, [['/usr/local/', join(root, 'usr/local/')]], {
        'edge.conf': '[Service]\nMemoryHihg=1G\n',
      })
      expect(broken.output).toContain("Unknown key 'MemoryHihg'")
      expect((await install(root, '--uninstall')).exitCode).toBe(0)
      expect(await Bun.file(dropIn).exists()).toBe(false)
    },
    TIMEOUT_MS,
  )

  test(
    '--uninstall removes the service and binary but keeps config, data and user; --purge removes all',
    async () => {
      const root = await temporaryDirectory('root-uninstall')
      expect((await install(root)).exitCode).toBe(0)
      await writeFile(join(root, 'var/lib/zot/index.json'), '{}')

      const uninstall = await install(root, '--uninstall')
      expect(uninstall.exitCode).toBe(0)
      const left = await snapshot(root)
      const paths = left.map((line) => line.split(' ')[0])
      for (const gone of [
        'usr/local/bin/zot',
        'usr/local/lib/zot/zot-ready',
        'etc/systemd/system/zot.service',
        'etc/systemd/system/multi-user.target.wants/zot.service',
      ]) {
        expect(paths).not.toContain(gone)
      }
      for (const kept of ['var/lib/zot/index.json', 'etc/zot/config.json', 'etc/default/zot'])
        expect(paths).toContain(kept)
      expect(await passwdEntry(root)).toHaveLength(1)
      expect(uninstall.stdout).toContain('kept config (/etc/zot), data (/var/lib/zot)')

      // Twice is fine too.
      expect((await install(root, '--uninstall')).exitCode).toBe(0)
      expect(await snapshot(root)).toEqual(left)

      const purge = await install(root, '--uninstall', '--purge')
      expect(purge.exitCode).toBe(0)
      const purged = (await snapshot(root)).map((line) => line.split(' ')[0])
      expect(purged.filter((path) => /zot/.test(path!))).toEqual([])
      expect(await passwdEntry(root)).toEqual([])
    },
    TIMEOUT_MS,
  )

  test(
    'refuses 32-bit ARM, naming the 64-bit OS a Raspberry Pi needs',
    async () => {
      const root = await temporaryDirectory('root-armv7')
      const result = await install(root, '--arch', 'armv7l')
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toContain('32-bit ARM (armv7l) is not supported')
      expect(result.stderr).toContain('64-bit OS')
      expect(await readdir(root)).toEqual([])
    },
    TIMEOUT_MS,
  )

  test(
    'refuses a binary that does not match its .sha256',
    async () => {
      const directory = await temporaryDirectory('tampered')
      const tampered = join(directory, 'zot-linux-x64')
      await writeFile(tampered, 'not the release\n')
      await copyFile(`${binary}.sha256`, `${tampered}.sha256`)
      const root = await temporaryDirectory('root-tampered')
      const result = await runCommand([
        'sh',
        INSTALL,
        '--root',
        root,
        '--os',
        'Linux',
        '--arch',
        'x86_64',
        '--binary',
        tampered,
      ])
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toContain('does not match')
      expect(await readdir(root)).toEqual([])
    },
    TIMEOUT_MS,
  )

  test(
    'finds zot-<os>-<arch> next to itself when --binary is not given',
    async () => {
      // A release directory holding the script, its templates and the binary, as a user unpacks it.
      const unpacked = await temporaryDirectory('unpacked')
      await mustRun(['cp', '-r', `${PACKAGING}/.`, unpacked])
      await copyFile(binary, join(unpacked, 'zot-linux-x64'))
      const root = await temporaryDirectory('root-found')
      const result = await runCommand([
        'sh',
        join(unpacked, 'install.sh'),
        '--root',
        root,
        '--os',
        'Linux',
        '--arch',
        'x86_64',
      ])
      expect(result.exitCode).toBe(0)
      expect((await mustRun([join(root, 'usr/local/bin/zot'), '--version'])).stdout.trim()).toBe(version)
    },
    TIMEOUT_MS,
  )

  test(
    'finds the dist/zot that `bun run build` makes in a checkout, for this machine only',
    async () => {
      // A checkout after `bun run build`: packaging/ beside dist/zot, run from elsewhere.
      const checkout = await temporaryDirectory('checkout')
      await mustRun(['cp', '-r', PACKAGING, join(checkout, 'packaging')])
      await mkdir(join(checkout, 'dist'))
      const hostBuild = (await releaseBuild()).binary(process.arch === 'arm64' ? 'linux-arm64' : 'linux-x64')
      await copyFile(hostBuild, join(checkout, 'dist/zot'))
      await chmod(join(checkout, 'dist/zot'), 0o755)
      const script = join(checkout, 'packaging/install.sh')
      const root = await temporaryDirectory('root-built')
      const result = await runCommand(['sh', script, '--root', root], { cwd: tmpdir() })
      expect(result.stderr).toBe('')
      expect(result.exitCode).toBe(0)
      expect((await mustRun([join(root, 'usr/local/bin/zot'), '--version'])).stdout.trim()).toBe(version)

      // dist/zot is built for this machine: another architecture still needs its release binary.
      const other = process.arch === 'arm64' ? 'x86_64' : 'aarch64'
      const elsewhere = await temporaryDirectory('root-other-arch')
      const refused = await runCommand(['sh', script, '--root', elsewhere, '--arch', other], { cwd: tmpdir() })
      expect(refused.exitCode).toBe(1)
      expect(refused.stderr).toContain('bun run build')
    },
    TIMEOUT_MS,
  )
})
