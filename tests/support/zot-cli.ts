/**
 * @module
 * Runs a command to its end and keeps what it said, whatever its exit code (tests that expect a
 * failure assert on it), and `zot` itself from this checkout's source.
 */
import { join } from 'node:path'
import { REPOSITORY_ROOT } from './paths'

export interface Finished {
  code: number
  out: string
  err: string
}

/** Runs `command` to its end; stdout and stderr are collected, the exit code returned. */
export async function runToEnd(command: string[], options: { cwd?: string; stdin?: string } = {}): Promise<Finished> {
  const child = Bun.spawn(command, {
    ...(options.cwd && { cwd: options.cwd }),
    stdin: options.stdin === undefined ? 'ignore' : new TextEncoder().encode(options.stdin),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [code, out, err] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ])
  return { code, out, err }
}

export const ZOT_CLI = join(REPOSITORY_ROOT, 'cmd/zot.ts')

/** `zot ARGS`, run from source with the Bun running the tests. */
export const runZot = (...args: string[]): Promise<Finished> => runToEnd([process.execPath, ZOT_CLI, ...args])
