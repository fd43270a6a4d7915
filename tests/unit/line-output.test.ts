/**
 * Log lines are batched per event-loop turn (`lib/log/line-output.ts`): one write per turn, in
 * order; a file follows logrotate's rename-and-create without a signal; nothing pending is lost
 * when the process exits right after logging.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtemp, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { batchedOutput, fileOutput } from '../../lib/log/line-output'
import { REPOSITORY_ROOT } from '../support/paths'

const directory = await mkdtemp(join(tmpdir(), 'zot-line-output-'))
afterAll(() => rm(directory, { recursive: true, force: true }))

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

test('lines of one turn reach the sink in one write, in order; the next turn makes another', async () => {
  const writes: string[] = []
  const output = batchedOutput((text) => writes.push(text))
  output.write('a')
  output.write('b')
  expect(writes).toEqual([])
  await nextTurn()
  output.write('c')
  await nextTurn()
  expect(writes).toEqual(['a\nb\n', 'c\n'])
})

test('a log file renamed away (logrotate) is created anew by the next batch', async () => {
  const path = join(directory, 'zot.log')
  const output = fileOutput(path)
  output.write('{"n":1}')
  await nextTurn()
  await rename(path, `${path}.1`)
  output.write('{"n":2}')
  await nextTurn()
  expect(await Bun.file(`${path}.1`).text()).toBe('{"n":1}\n')
  expect(await Bun.file(path).text()).toBe('{"n":2}\n')
})

test('a process that exits right after logging still writes the line', async () => {
  const path = join(directory, 'exit.log')
  const script = `import { createLogger } from '${join(REPOSITORY_ROOT, 'lib/log/logger')}'
createLogger({ level: 'info', output: ${JSON.stringify(path)} }).error('last words', { code: 3 })
process.exit(3)`
  const child = Bun.spawn(['bun', '-e', script], { stderr: 'pipe' })
  expect(await child.exited).toBe(3)
  expect(JSON.parse(await Bun.file(path).text())).toMatchObject({ level: 'error', message: 'last words', code: 3 })
})
