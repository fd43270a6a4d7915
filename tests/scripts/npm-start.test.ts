/**
 * `npm start` under a supervisor: SIGTERM to npm's PID (what a supervisor or `kill` sends) must
 * reach the server, which drains and exits, instead of leaving it running as an orphan. npm
 * forwards the signal to its child only; a shell between the two would swallow it.
 */
import { afterAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { descendantRunning, loopbackConfig, startServing } from '../packaging/support'
import { REPOSITORY_ROOT } from '../support/paths'

const directory = await mkdtemp(join(tmpdir(), 'zot-npm-start-'))
afterAll(() => rm(directory, { recursive: true, force: true }))

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    // A zombie (exited, not yet reaped by whoever adopted it) is not running.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

test('SIGTERM to `npm start` stops the server it started', async () => {
  expect(Bun.which('npm')).not.toBeNull()
  await mkdir(join(directory, 'data'))
  const { path, port } = await loopbackConfig(directory, join(directory, 'data'), { log: { level: 'info' } })
  const npm = await startServing(['npm', 'start', '--', path], port, {
    cwd: REPOSITORY_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
  })
  const server = descendantRunning(npm.pid, 'bun cmd/zot.ts serve')
  expect(server).toBeDefined()
  try {
    process.kill(npm.pid, 'SIGTERM')
    await npm.exited
    const deadline = Date.now() + 10_000
    while (isAlive(server!) && Date.now() < deadline) await Bun.sleep(50)
    expect(isAlive(server!)).toBe(false)
    // It drained and stopped as SIGTERM asks, rather than being killed.
    expect(npm.output()).toContain('"message":"stopped","signal":"SIGTERM"')
  } finally {
    if (isAlive(server!)) process.kill(server!, 'SIGKILL')
  }
}, 60_000)
