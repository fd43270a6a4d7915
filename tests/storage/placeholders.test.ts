/**
 * Finding the content a dedupe placeholder stands for (lib/registry/storage/placeholders.ts), over real
 * files whose stats answer at different speeds, as S3 HEADs do: the search runs several stats at
 * once and must keep the one hit whatever order the answers come in; a miss is remembered.
 */
import { expect, test } from 'bun:test'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { blobPath } from '../../lib/registry/layout'
import { isPlaceholder, Placeholders } from '../../lib/registry/storage/placeholders'
import type { StorageDriver } from '../../lib/storage/driver'
import { createLocalDriver } from '../../lib/storage/local-driver'
import { tempDirectory } from '../support/temp'

const content = new TextEncoder().encode('layer bytes')
const digest = `sha256:${new Bun.CryptoHasher('sha256').update(content).digest('hex')}`

/** The local driver, with stats of every path but `fast` answering `delayMs` late. */
function slowedDriver(root: string, fast: string, delayMs: number): StorageDriver & { stats: number } {
  const driver = createLocalDriver({ rootDirectory: root, commit: false })
  const slowed = {
    ...driver,
    stats: 0,
    async stat(path: string) {
      slowed.stats++
      if (path !== fast) await Bun.sleep(delayMs)
      return driver.stat(path)
    },
  }
  return slowed
}

async function put(root: string, path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true })
  await writeFile(join(root, path), bytes)
}

test('the one repository with content is found, though it answers first and the others after', async () => {
  const root = await tempDirectory('placeholders')
  const repositories = Array.from({ length: 40 }, (_, index) => `r${String(index).padStart(2, '0')}`)
  const holder = 'r07'
  for (const repository of repositories.slice(0, 20)) {
    await put(root, blobPath(repository, digest), repository === holder ? content : new Uint8Array(0))
  }
  const driver = slowedDriver(root, blobPath(holder, digest), 30)
  const placeholders = new Placeholders(driver, async () => repositories)

  expect(await placeholders.original(digest)).toEqual({ repository: holder, size: content.byteLength })
  // Cached: one stat to check the hint, no search.
  const before = driver.stats
  expect(await placeholders.original(digest)).toEqual({ repository: holder, size: content.byteLength })
  expect(driver.stats - before).toBe(1)
})

test('a digest with no content anywhere is searched once, then remembered as missing', async () => {
  const root = await tempDirectory('placeholders-miss')
  const repositories = ['a', 'b', 'c']
  for (const repository of repositories) await put(root, blobPath(repository, digest), new Uint8Array(0))
  const driver = slowedDriver(root, '', 0)
  const placeholders = new Placeholders(driver, async () => repositories)

  expect(await placeholders.original(digest)).toBeUndefined()
  const after = driver.stats
  expect(await placeholders.original(digest)).toBeUndefined()
  expect(driver.stats).toBe(after)
})

test('only an empty blob whose digest is not the empty digest is a placeholder', () => {
  const empty = `sha256:${new Bun.CryptoHasher('sha256').update(new Uint8Array(0)).digest('hex')}`
  expect(isPlaceholder(digest, 0)).toBe(true)
  expect(isPlaceholder(empty, 0)).toBe(false)
  expect(isPlaceholder(digest, content.byteLength)).toBe(false)
  expect(isPlaceholder('not-a-digest', 0)).toBe(false)
})
