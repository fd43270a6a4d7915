/**
 * The load generator users run (`scripts/bench/zb.ts`): its side-by-side mode starts dist/zot and
 * Debian's docker-registry with auth on, on a real S3 server, or as pull-through caches of a third
 * registry, drives both through the
 * distribution API and reports every operation as done, with the server CPU it cost. Speed is not
 * asserted here (it is reported by hand); that the benchmark measures what it says is.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ScenarioResult } from '../../scripts/bench/stats'
import { ensureCompiledBinary } from '../support/binary'
import { REPOSITORY_ROOT } from '../support/paths'

const directory = await mkdtemp(join(tmpdir(), 'zot-zb-'))
afterAll(() => rm(directory, { recursive: true, force: true }))

async function compare(
  label: string,
  flags: string[],
): Promise<{ zot: ScenarioResult[]; reference: ScenarioResult[] }> {
  await ensureCompiledBinary()
  const json = join(directory, `${label}.json`)
  const run = Bun.spawn(['bun', 'scripts/bench/zb.ts', '--compare', '-n', '2', '-c', '2', '--json', json, ...flags], {
    cwd: REPOSITORY_ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([
    new Response(run.stdout).text(),
    new Response(run.stderr).text(),
    run.exited,
  ])
  if (code !== 0) throw new Error(`zb exited with ${code}\n${stdout}\n${stderr}`)
  expect(stdout).toContain('CPU ms/op')
  return (await Bun.file(json).json()) as { zot: ScenarioResult[]; reference: ScenarioResult[] }
}

function expectAllDone(results: ScenarioResult[], names: string[]): void {
  expect(results.map((result) => result.name)).toEqual(names)
  for (const result of results) {
    expect(result.failed).toBe(0)
    expect(result.completed).toBeGreaterThan(0)
    // Present because the server's pid is known; /proc counts in 10 ms ticks, so a short
    // scenario may round to 0.
    expect(result.serverCpuMsPerOp).toBeGreaterThanOrEqual(0)
  }
}

describe('zb --compare', () => {
  test('with -A, both registries require the credentials and every push, pull and HEAD succeeds', async () => {
    const { zot, reference } = await compare('auth', [
      '-A',
      'bench:secret',
      '-t',
      'Push Monolith 1MB|Pull 1MB|Manifest HEAD',
    ])
    const names = ['Push Monolith 1MB', 'Pull 1MB', 'Manifest HEAD (64 connections)']
    expectAllDone(zot, names)
    expectAllDone(reference, names)
  }, 120_000)

  test('with --sync, both pull a 100 MB image through from a third registry on demand', async () => {
    const { zot, reference } = await compare('sync', ['--sync', '-t', 'Sync'])
    expectAllDone(zot, ['On-demand Sync 100MB'])
    expectAllDone(reference, ['On-demand Sync 100MB'])
    expect(zot[0]!.megabytesPerSecond).toBeGreaterThan(0)
  }, 180_000)

  test('with --s3, both registries store in a Ceph RADOS gateway and every push and pull succeeds', async () => {
    const { zot, reference } = await compare('s3', ['--s3', '-t', 'Push Chunk Streamed 1MB|Pull 1MB'])
    const names = ['Push Chunk Streamed 1MB', 'Pull 1MB']
    expectAllDone(zot, names)
    expectAllDone(reference, names)
  }, 180_000)
})
