import { expect, test } from 'bun:test'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalDriver } from '../../lib/storage/local-driver'
import { testDriver } from './driver-suite'

for (const commit of [false, true]) {
  testDriver(`local${commit ? ' (commit: fsync)' : ''}`, async () => {
    const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-local-driver-'))
    return {
      driver: createLocalDriver({ rootDirectory, commit }),
      cleanup: () => rm(rootDirectory, { recursive: true, force: true }),
    }
  })
}

test('local: putContent leaves no temporary files behind', async () => {
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-local-driver-'))
  const driver = createLocalDriver({ rootDirectory, commit: false })
  await Promise.all(Array.from({ length: 10 }, (_, i) => driver.putContent('repo/index.json', `{"n":${i}}`)))
  expect(await readdir(join(rootDirectory, 'repo'))).toEqual(['index.json'])
  await rm(rootDirectory, { recursive: true, force: true })
})

test('local: copy with link shares the inode (dedupe), without link it does not', async () => {
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-local-driver-'))
  const driver = createLocalDriver({ rootDirectory, commit: false })
  await driver.putContent('a/blob', 'content')
  await driver.copy('a/blob', 'b/blob', { link: true })
  await driver.copy('a/blob', 'c/blob')
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => stat(join(rootDirectory, d, 'blob'))))
  expect(b!.ino).toBe(a!.ino)
  expect(c!.ino).not.toBe(a!.ino)
  await rm(rootDirectory, { recursive: true, force: true })
})

test('local: temporaries live in <root>/.tmp, never beside their target; stale ones are swept at start', async () => {
  const { utimes, writeFile, mkdir } = await import('node:fs/promises')
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-local-driver-'))
  await mkdir(join(rootDirectory, '.tmp'))
  const stale = join(rootDirectory, '.tmp', 'dead.1.abc.tmp')
  const fresh = join(rootDirectory, '.tmp', 'live.1.abc.tmp')
  await writeFile(stale, 'x')
  await writeFile(fresh, 'y')
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000)
  await utimes(stale, old, old)
  const driver = createLocalDriver({ rootDirectory, commit: false })
  await driver.putContent('repo/blobs/sha256/abc', 'content')
  await driver.copy('repo/blobs/sha256/abc', 'other/blobs/sha256/abc')
  expect(await readdir(join(rootDirectory, 'repo/blobs/sha256'))).toEqual(['abc'])
  await Bun.sleep(50)
  expect(await readdir(join(rootDirectory, '.tmp'))).toEqual(['live.1.abc.tmp'])
  await rm(rootDirectory, { recursive: true, force: true })
})

test('local: adopt renames a file on the same filesystem into place; from another (tmpfs) it declines and touches nothing', async () => {
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-local-driver-'))
  const driver = createLocalDriver({ rootDirectory, commit: true })
  const sameFs = join(rootDirectory, 'spool')
  await Bun.write(sameFs, 'same filesystem')
  const inode = (await stat(sameFs)).ino
  expect(await driver.adopt!(sameFs, 'repo/blobs/sha256/aa')).toBe(true)
  expect(new TextDecoder().decode(await driver.getContent('repo/blobs/sha256/aa'))).toBe('same filesystem')
  expect((await stat(join(rootDirectory, 'repo/blobs/sha256/aa'))).ino).toBe(inode)
  expect(await Bun.file(sameFs).exists()).toBe(false)

  const otherFs = await mkdtemp('/dev/shm/zot-adopt-')
  const foreign = join(otherFs, 'spool')
  await Bun.write(foreign, 'tmpfs')
  expect(await driver.adopt!(foreign, 'repo/blobs/sha256/bb')).toBe(false)
  expect(await Bun.file(foreign).text()).toBe('tmpfs')
  expect(await Bun.file(join(rootDirectory, 'repo/blobs/sha256/bb')).exists()).toBe(false)
  await Promise.all([
    rm(rootDirectory, { recursive: true, force: true }),
    rm(otherFs, { recursive: true, force: true }),
  ])
})
