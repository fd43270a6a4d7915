import { expect, test } from 'bun:test'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalDriver } from '../../lib/storage/local-driver'
import { testDriver } from './driver-suite'

for (const commit of [false, true]) {
  testDriver(`local${commit ? ' (commit: fsync)' : ''}`, async () => {
    const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-local-driver-'))
    return { driver: createLocalDriver({ rootDirectory, commit }), cleanup: () => rm(rootDirectory, { recursive: true, force: true }) }
  })
}

test('local: putContent leaves no temporary files behind', async () => {
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-local-driver-'))
  const driver = createLocalDriver({ rootDirectory })
  await Promise.all(Array.from({ length: 10 }, (_, i) => driver.putContent('repo/index.json', `{"n":${i}}`)))
  expect(await readdir(join(rootDirectory, 'repo'))).toEqual(['index.json'])
  await rm(rootDirectory, { recursive: true, force: true })
})

test('local: copy with link shares the inode (dedupe), without link it does not', async () => {
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-local-driver-'))
  const driver = createLocalDriver({ rootDirectory })
  await driver.putContent('a/blob', 'content')
  await driver.copy('a/blob', 'b/blob', { link: true })
  await driver.copy('a/blob', 'c/blob')
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => stat(join(rootDirectory, d, 'blob'))))
  expect(b!.ino).toBe(a!.ino)
  expect(c!.ino).not.toBe(a!.ino)
  await rm(rootDirectory, { recursive: true, force: true })
})
