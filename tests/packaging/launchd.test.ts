/**
 * @module
 * packaging/launchd: the LaunchAgent template parses as a property list (python3's plistlib, the
 * parser closest to launchd's on Linux) with the keys launchd needs, and install.sh on "Darwin"
 * (in a temporary root) writes it out with the home directory spelled in full, because launchd
 * expands neither `~` nor `$HOME`, next to the binary, the config, the data and the log directory.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { lstat, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { mustRun, PACKAGING, releaseBuild, removeTemporaries, runCommand, temporaryDirectory } from './support'

const TIMEOUT_MS = 60_000
const LABEL = 'dev.zotregistry.zot'
const TEMPLATE = join(PACKAGING, `launchd/${LABEL}.plist`)

afterAll(removeTemporaries)

/** The property list as JSON, parsed by plistlib (which rejects anything malformed). */
async function parsePlist(path: string): Promise<Record<string, unknown>> {
  const { stdout } = await mustRun([
    'python3',
    '-c',
    'import json, plistlib, sys\nwith open(sys.argv[1], "rb") as f: print(json.dumps(plistlib.load(f)))',
    path,
  ])
  return JSON.parse(stdout)
}

function expectLaunchAgent(plist: Record<string, unknown>, home: string, zot: string) {
  expect(plist.Label).toBe(LABEL)
  expect(plist.ProgramArguments).toEqual([zot, 'serve', `${home}/.config/zot/config.json`])
  expect(plist.RunAtLoad).toBe(true)
  expect(plist.KeepAlive).toBe(true)
  expect(plist.StandardOutPath).toBe(`${home}/Library/Logs/zot.out.log`)
  expect(plist.StandardErrorPath).toBe(`${home}/Library/Logs/zot.err.log`)
  expect(plist.WorkingDirectory).toBe(`${home}/zot`)
  // SIGTERM drains for up to 30 s before launchd's SIGKILL.
  expect(plist.ExitTimeOut).toBeGreaterThan(30)
}

describe('packaging/launchd', () => {
  test('the template parses and has the LaunchAgent keys, with placeholders for install.sh', async () => {
    expectLaunchAgent(await parsePlist(TEMPLATE), '__HOME__', '__ZOT__')
  })

  describe('install.sh --os Darwin (in a temporary root)', () => {
    const home = '/Users/Jane Doe & Co'
    let root = ''
    let first: Awaited<ReturnType<typeof runCommand>>
    const darwin = (...args: string[]) =>
      runCommand(['sh', join(PACKAGING, 'install.sh'), '--root', root, '--os', 'Darwin', '--arch', 'arm64', ...args], {
        env: { HOME: home },
      })

    beforeAll(async () => {
      root = await temporaryDirectory('darwin')
      const binary = (await releaseBuild()).binary('darwin-arm64')
      first = await darwin('--binary', binary, '--port', '5050')
    }, 120_000)

    test(
      'writes the plist with the home directory in full, and it parses',
      async () => {
        expect(first.stderr).toBe('')
        expect(first.exitCode).toBe(0)
        const path = join(root, home, `Library/LaunchAgents/${LABEL}.plist`)
        const text = await readFile(path, 'utf8')
        expect(text).not.toContain('__')
        expect(text).not.toContain('~')
        expect(text).toContain('/Users/Jane Doe &amp; Co/zot')
        expectLaunchAgent(await parsePlist(path), home, `${home}/.local/bin/zot`)
      },
      TIMEOUT_MS,
    )

    test(
      'installs the binary, a config with storage in ~/zot, and the data and log directories',
      async () => {
        expect((await lstat(join(root, home, '.local/bin/zot'))).mode & 0o777).toBe(0o755)
        const config = JSON.parse(await readFile(join(root, home, '.config/zot/config.json'), 'utf8'))
        expect(config.storage.rootDirectory).toBe(`${home}/zot`)
        expect(config.http.port).toBe('5050')
        expect((await lstat(join(root, home, 'zot'))).mode & 0o777).toBe(0o700)
        expect((await lstat(join(root, home, 'Library/Logs'))).isDirectory()).toBe(true)
      },
      TIMEOUT_MS,
    )

    test(
      '--uninstall keeps ~/zot and the config; --purge removes them',
      async () => {
        const kept = await darwin('--uninstall')
        expect(kept.exitCode).toBe(0)
        expect(await Bun.file(join(root, home, `Library/LaunchAgents/${LABEL}.plist`)).exists()).toBe(false)
        expect(await Bun.file(join(root, home, '.local/bin/zot')).exists()).toBe(false)
        expect(await Bun.file(join(root, home, '.config/zot/config.json')).exists()).toBe(true)
        expect((await lstat(join(root, home, 'zot'))).isDirectory()).toBe(true)
        expect((await darwin('--uninstall', '--purge')).exitCode).toBe(0)
        expect(await Bun.file(join(root, home, '.config/zot/config.json')).exists()).toBe(false)
        expect(await lstat(join(root, home, 'zot')).catch(() => 'gone')).toBe('gone')
      },
      TIMEOUT_MS,
    )
  })
})
