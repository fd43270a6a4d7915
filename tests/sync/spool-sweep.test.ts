/**
 * The start-up sweep of download spools (the kill -9 case itself is in
 * tests/reliability/upstream-faults.test.ts): spools of processes that are gone go, whatever
 * their age; a live process's stay; and a second sweep in the same process (a config reload
 * builds sync again) leaves this process's own spools, which running fills may still write.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Spool } from '../../lib/sync/cache/spool'

const directories: string[] = []

afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })))
})

const spoolName = (pid: number | undefined): string =>
  `.zot-sync-${pid === undefined ? '' : `${pid}-`}${crypto.randomUUID()}.spool`

/**
 * The PID of a process that has exited and been reaped: until it is reaped, a zombie still
 * answers kill(pid, 0), and `exited` can resolve a moment before that (seen under load).
 */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(['true'])
  await child.exited
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await Bun.sleep(10)) {
    try {
      process.kill(child.pid, 0)
    } catch {
      return child.pid
    }
  }
  throw new Error(`process ${child.pid} still answers signals after it exited`)
}

test('spools of dead processes and of older versions go; a live process keeps its own, also across a reload', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'zot-spool-sweep-'))
  directories.push(directory)
  const dead = spoolName(await deadPid())
  const legacy = spoolName(undefined)
  const ownBeforeStart = spoolName(process.pid)
  const live = spoolName(process.ppid)
  const unrelated = 'notes.txt'
  for (const name of [dead, legacy, ownBeforeStart, live, unrelated]) await writeFile(join(directory, name), 'x')
  await Spool.removeStale(directory)
  expect((await readdir(directory)).sort()).toEqual([live, unrelated].sort())

  // A reload: this process's spools now belong to fills that may still run.
  const ownFill = spoolName(process.pid)
  const deadSince = spoolName(await deadPid())
  await writeFile(join(directory, ownFill), 'x')
  await writeFile(join(directory, deadSince), 'x')
  await Spool.removeStale(directory)
  expect((await readdir(directory)).sort()).toEqual([live, ownFill, unrelated].sort())
})
