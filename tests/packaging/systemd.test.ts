/**
 * @module
 * packaging/systemd: the unit passes `systemd-analyze verify` without a word and carries the
 * hardening the issue asks for; its readiness probe (zot-ready, the ExecStartPost) waits for a real
 * registry and gives up in bounded time; SIGHUP (ExecReload) keeps the registry serving; and every
 * system call the binary makes is inside the unit's SystemCallFilter=@system-service.
 *
 * systemd is not PID 1 here, which `systemd-analyze verify` does not need. It does insist that
 * every Exec*= command exists and is executable, so it verifies a copy of the unit whose
 * /usr/local paths point at the release binary and the probe script; everything else is verbatim.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  descendantRunning,
  ensureTool,
  hasCommand,
  loopbackConfig,
  mustRun,
  PACKAGING,
  pushAndPullImage,
  releaseBuild,
  removeTemporaries,
  runCommand,
  startServing,
  temporaryDirectory,
  verifyUnit,
} from './support'

const TIMEOUT_MS = 60_000
const UNIT = join(PACKAGING, 'systemd/zot.service')
const PROBE = join(PACKAGING, 'systemd/zot-ready')

let binary = ''
beforeAll(async () => {
  binary = (await releaseBuild()).binary('linux-x64')
}, 120_000)
afterAll(removeTemporaries)

/** The unit's installed paths, pointed at the release binary and the probe in this checkout. */
const installedAt = (): [string, string][] => [
  ['/usr/local/bin/zot', binary],
  ['/usr/local/lib/zot/zot-ready', PROBE],
]

/** `Key=value` lines by section; repeated keys keep every value. */
function parseUnit(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>()
  let section = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    if (line.startsWith('[')) {
      section = line.slice(1, -1)
      continue
    }
    const at = line.indexOf('=')
    const key = `${section}.${line.slice(0, at)}`
    entries.set(key, [...(entries.get(key) ?? []), line.slice(at + 1)])
  }
  return entries
}

describe('packaging/systemd/zot.service', () => {
  test(
    'systemd-analyze verify prints nothing',
    async () => {
      const missing = await ensureTool(hasCommand('systemd-analyze'), ['systemd'])
      if (missing) throw new Error(`systemd-analyze: ${missing}`)
      const result = await verifyUnit(await readFile(UNIT, 'utf8'), installedAt())
      expect(result.output).toBe('')
      expect(result.exitCode).toBe(0)
    },
    TIMEOUT_MS,
  )

  test(
    'systemd-analyze verify is not silent about a broken unit (the check has teeth)',
    async () => {
      const broken = (await readFile(UNIT, 'utf8')).replace(
        'NoNewPrivileges=yes',
        'NoNewPrivileges=yes\nProtectSystm=strict',
      )
      const result = await verifyUnit(broken, installedAt())
      expect(result.output).toContain("Unknown key 'ProtectSystm'")
    },
    TIMEOUT_MS,
  )

  test('is hardened, restarts on failure, reloads with SIGHUP and waits for /readyz', async () => {
    const unit = parseUnit(await readFile(UNIT, 'utf8'))
    const one = (key: string) => unit.get(key)?.at(-1)
    expect(one('Service.Type')).toBe('exec')
    expect(one('Service.ExecStart')).toBe('/usr/local/bin/zot serve /etc/zot/config.json')
    expect(one('Service.ExecStartPost')).toBe('/usr/local/lib/zot/zot-ready')
    expect(one('Service.ExecReload')).toBe('/bin/kill -HUP $MAINPID')
    expect(one('Service.User')).toBe('zot')
    expect(one('Service.StateDirectory')).toBe('zot')
    expect(one('Service.ProtectSystem')).toBe('strict')
    expect(one('Service.NoNewPrivileges')).toBe('yes')
    expect(one('Service.Restart')).toBe('on-failure')
    expect(Number(one('Service.LimitNOFILE'))).toBeGreaterThanOrEqual(65536)
    expect(one('Service.SystemCallFilter')).toBe('@system-service')
    expect(one('Service.CapabilityBoundingSet')).toBe('')
    expect(one('Service.Environment')).toBe('ZOT_READY_URL=http://127.0.0.1:5000/readyz')
    // The JIT needs W+X pages: this one would crash the registry at start.
    expect(unit.has('Service.MemoryDenyWriteExecute')).toBe(false)
    // SIGTERM drains for up to 30 s: systemd must not SIGKILL before that.
    expect(Number(one('Service.TimeoutStopSec'))).toBeGreaterThan(30)
    expect(one('Install.WantedBy')).toBe('multi-user.target')
    // The example config is the one the unit names, and matches it: storage in StateDirectory.
    const config = JSON.parse(await readFile(join(PACKAGING, 'systemd/config.json'), 'utf8'))
    expect(config.storage.rootDirectory).toBe('/var/lib/zot')
    expect(`http://${config.http.address}:${config.http.port}/readyz`).toBe('http://127.0.0.1:5000/readyz')
  })
})

describe('packaging/systemd/zot-ready (the ExecStartPost readiness probe)', () => {
  test(
    'exits 0 as soon as the registry answers /readyz',
    async () => {
      const directory = await temporaryDirectory('ready')
      const { path, port } = await loopbackConfig(directory, join(directory, 'data'))
      const registry = await startServing([binary, 'serve', path], port)
      try {
        const started = performance.now()
        const result = await runCommand(['sh', PROBE], {
          env: { ZOT_READY_URL: `${registry.url}/readyz`, MAINPID: String(registry.pid) },
        })
        expect(result.stderr).toBe('')
        expect(result.exitCode).toBe(0)
        expect(performance.now() - started).toBeLessThan(2_000)
      } finally {
        expect(await registry.stop()).toBe(0)
      }
    },
    TIMEOUT_MS,
  )

  test(
    'waits while the registry starts, then succeeds',
    async () => {
      const directory = await temporaryDirectory('ready-wait')
      const { path, port } = await loopbackConfig(directory, join(directory, 'data'))
      const probe = runCommand(['sh', PROBE, `http://127.0.0.1:${port}/readyz`], { env: { ZOT_READY_TIMEOUT: '20' } })
      await Bun.sleep(500)
      const registry = await startServing([binary, 'serve', path], port)
      try {
        expect((await probe).exitCode).toBe(0)
      } finally {
        await registry.stop()
      }
    },
    TIMEOUT_MS,
  )

  test(
    'gives up after ZOT_READY_TIMEOUT seconds when nothing answers',
    async () => {
      const started = performance.now()
      const result = await runCommand(['sh', PROBE, 'http://127.0.0.1:9/readyz'], { env: { ZOT_READY_TIMEOUT: '1' } })
      const seconds = (performance.now() - started) / 1000
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toContain('did not answer 200 within 1s')
      expect(seconds).toBeGreaterThanOrEqual(1)
      expect(seconds).toBeLessThan(4)
    },
    TIMEOUT_MS,
  )

  test(
    'gives up at once when the main process is gone',
    async () => {
      const gone = Bun.spawn(['true'])
      await gone.exited
      const started = performance.now()
      const result = await runCommand(['sh', PROBE, 'http://127.0.0.1:9/readyz'], {
        env: { MAINPID: String(gone.pid) },
      })
      expect(result.exitCode).toBe(1)
      expect(result.stderr).toContain('exited before')
      expect(performance.now() - started).toBeLessThan(2_000)
    },
    TIMEOUT_MS,
  )
})

describe('the binary under the unit', () => {
  test(
    'SIGHUP (ExecReload) reloads and keeps serving',
    async () => {
      const directory = await temporaryDirectory('reload')
      const { path, port } = await loopbackConfig(directory, join(directory, 'data'))
      const registry = await startServing([binary, 'serve', path], port)
      try {
        process.kill(registry.pid, 'SIGHUP')
        await Bun.sleep(500)
        expect((await fetch(`${registry.url}/readyz`)).status).toBe(200)
        await pushAndPullImage(registry.url, 'reload/after-hup', 'v1')
      } finally {
        expect(await registry.stop()).toBe(0)
      }
    },
    TIMEOUT_MS,
  )

  test(
    'makes only system calls that SystemCallFilter=@system-service allows',
    async () => {
      const missing = await ensureTool(hasCommand('strace'), ['strace'])
      if (missing) throw new Error(`strace: ${missing}`)
      const directory = await temporaryDirectory('syscalls')
      const { path, port } = await loopbackConfig(directory, join(directory, 'data'))
      const summary = join(directory, 'strace.txt')
      const traced = join(directory, 'zot')
      await copyFile(binary, traced)
      const registry = await startServing(['strace', '-f', '-qq', '-c', '-o', summary, traced, 'serve', path], port, {
        pidOf: (stracePid) => descendantRunning(stracePid, `${traced} serve`),
      })
      try {
        await pushAndPullImage(registry.url, 'syscalls/round-trip', 'v1')
        process.kill(registry.pid, 'SIGHUP')
        await Bun.sleep(300)
      } finally {
        expect(await registry.stop()).toBe(0)
      }
      const used = (await readFile(summary, 'utf8'))
        .split('\n')
        .map((line) => line.trim().split(/\s+/).at(-1) ?? '')
        .filter((name) => /^[a-z_0-9]+$/.test(name) && name !== 'total' && name !== 'syscall')
      expect(used.length).toBeGreaterThan(20)
      const allowed = await expandFilter('@system-service')
      expect(used.filter((name) => !allowed.has(name))).toEqual([])
    },
    TIMEOUT_MS,
  )
})

/** The system calls a systemd filter set allows, nested sets expanded. */
async function expandFilter(set: string, seen = new Set<string>()): Promise<Set<string>> {
  const names = new Set<string>()
  if (seen.has(set)) return names
  seen.add(set)
  const { stdout } = await mustRun(['systemd-analyze', 'syscall-filter', set], { env: { SYSTEMD_PAGER: '' } })
  for (const line of stdout.split('\n').slice(1)) {
    const name = line.trim()
    if (name === '' || name.startsWith('#')) continue
    if (name.startsWith('@')) for (const nested of await expandFilter(name, seen)) names.add(nested)
    else names.add(name)
  }
  return names
}
