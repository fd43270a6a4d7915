/**
 * @module
 * The storage-driver conformance suite: one list of behaviours every driver must show, run
 * against each driver (`local-driver.test.ts`, `s3-driver.test.ts`). A driver adds only its own
 * specifics in its own file.
 */
import { describe, expect, test, beforeAll, afterAll } from 'bun:test'
import { PathNotFoundError, type Content, type StorageDriver } from '../../lib/storage/driver'

export interface DriverUnderTest {
  driver: StorageDriver
  cleanup(): Promise<void>
}

async function bytesOf(content: Content): Promise<Uint8Array> {
  return content instanceof Blob
    ? new Uint8Array(await content.arrayBuffer())
    : new Uint8Array(await new Response(content).arrayBuffer())
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

/** `data` in chunks of `chunkSize`, then `failure` instead of the end when given. */
export function streamOf(data: Uint8Array, chunkSize: number, failure?: Error): ReadableStream<Uint8Array> {
  let offset = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset < data.length) {
        controller.enqueue(data.slice(offset, offset + chunkSize))
        offset += chunkSize
      } else if (failure) controller.error(failure)
      else controller.close()
    },
  })
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + 65536)))
  }
  return bytes
}

export function testDriver(name: string, makeDriver: () => Promise<DriverUnderTest>): void {
  describe(`storage driver conformance: ${name}`, () => {
    let subject: DriverUnderTest
    let driver: StorageDriver
    // Each test works under its own prefix so tests never see each other's files.
    let prefixCounter = 0
    const fresh = (): string => `suite-${Date.now().toString(36)}-${++prefixCounter}`

    beforeAll(async () => {
      subject = await makeDriver()
      driver = subject.driver
    })
    afterAll(async () => {
      await subject?.cleanup()
    })

    test('putContent then getContent returns the same bytes', async () => {
      const path = `${fresh()}/a/b/object.json`
      await driver.putContent(path, '{"hello":"world"}')
      expect(text(await driver.getContent(path))).toBe('{"hello":"world"}')
    })

    test('putContent replaces existing content', async () => {
      const path = `${fresh()}/object`
      await driver.putContent(path, 'first')
      await driver.putContent(path, new TextEncoder().encode('second'))
      expect(text(await driver.getContent(path))).toBe('second')
    })

    test('missing paths throw PathNotFoundError from getContent, read and stat', async () => {
      const path = `${fresh()}/missing`
      await expect(driver.getContent(path)).rejects.toBeInstanceOf(PathNotFoundError)
      await expect(driver.read(path)).rejects.toBeInstanceOf(PathNotFoundError)
      await expect(driver.stat(path)).rejects.toBeInstanceOf(PathNotFoundError)
    })

    test('read streams whole content and ranges', async () => {
      const path = `${fresh()}/blob`
      const data = randomBytes(300_000)
      await driver.putContent(path, data)
      expect(await bytesOf(await driver.read(path))).toEqual(data)
      expect(await bytesOf(await driver.read(path, { offset: 1000, length: 5000 }))).toEqual(data.subarray(1000, 6000))
      expect(await bytesOf(await driver.read(path, { offset: 299_990 }))).toEqual(data.subarray(299_990))
    })

    test('stat reports size, time and directories', async () => {
      const base = fresh()
      const before = Date.now() - 5000
      await driver.putContent(`${base}/dir/file`, 'abcdef')
      const info = await driver.stat(`${base}/dir/file`)
      expect(info.size).toBe(6)
      expect(info.isDirectory).toBe(false)
      expect(info.modifiedAt.getTime()).toBeGreaterThan(before)
      expect((await driver.stat(`${base}/dir`)).isDirectory).toBe(true)
    })

    test('list returns direct children names, [] for a missing directory', async () => {
      const base = fresh()
      await driver.putContent(`${base}/x/one`, '1')
      await driver.putContent(`${base}/x/two`, '2')
      await driver.putContent(`${base}/x/sub/three`, '3')
      expect((await driver.list(`${base}/x`)).sort()).toEqual(['one', 'sub', 'two'])
      expect(await driver.list(`${base}/nothing`)).toEqual([])
    })

    test('writer writes, closes and appends across writers', async () => {
      const path = `${fresh()}/upload`
      const first = await driver.writer(path, { append: true })
      expect(first.size).toBe(0)
      await first.write(new TextEncoder().encode('hello '))
      await first.close()
      const second = await driver.writer(path, { append: true })
      expect(second.size).toBe(6)
      await second.write(new TextEncoder().encode('world'))
      expect(second.size).toBe(11)
      await second.close()
      expect(second.size).toBe(11)
      expect(text(await driver.getContent(path))).toBe('hello world')
    })

    test('writer without append starts empty', async () => {
      const path = `${fresh()}/upload`
      await driver.putContent(path, 'old content')
      const writer = await driver.writer(path, { append: false })
      expect(writer.size).toBe(0)
      await writer.write(new TextEncoder().encode('new'))
      await writer.close()
      expect(text(await driver.getContent(path))).toBe('new')
    })

    test('writer abort keeps what the path held when the writer was opened', async () => {
      const path = `${fresh()}/aborted`
      const before = randomBytes(1000)
      const first = await driver.writer(path, { append: true })
      await first.write(before)
      await first.close()
      const aborted = await driver.writer(path, { append: true })
      // Past one S3 part, so a part object is written before the abort.
      await aborted.write(randomBytes(6 * 1024 * 1024))
      await aborted.abort()
      expect((await driver.stat(path)).size).toBe(1000)
      expect(await bytesOf(await driver.read(path))).toEqual(before)
      const after = await driver.writer(path, { append: true })
      expect(after.size).toBe(1000)
      await after.write(new TextEncoder().encode('tail'))
      await after.close()
      expect(text(await driver.getContent(path)).endsWith('tail')).toBe(true)
      expect((await driver.stat(path)).size).toBe(1004)
    })

    test('writer cancel removes what was written', async () => {
      const path = `${fresh()}/cancelled`
      const writer = await driver.writer(path, { append: true })
      await writer.write(randomBytes(1000))
      await writer.cancel()
      await expect(driver.stat(path)).rejects.toBeInstanceOf(PathNotFoundError)
    })

    test('a large write through many chunks reads back identical', async () => {
      const path = `${fresh()}/large`
      const data = randomBytes(12 * 1024 * 1024 + 17)
      const writer = await driver.writer(path, { append: true })
      for (let offset = 0; offset < data.length; offset += 1024 * 1024) {
        await writer.write(data.subarray(offset, Math.min(data.length, offset + 1024 * 1024)))
      }
      await writer.close()
      expect((await driver.stat(path)).size).toBe(data.length)
      expect(await bytesOf(await driver.read(path))).toEqual(data)
    })

    test('putStream writes a body of many chunks, replacing what the path held', async () => {
      const base = fresh()
      const path = `${base}/streamed`
      await driver.putContent(path, 'old')
      // Past one S3 part (the suite's drivers use 5 MiB parts): a multipart upload there.
      const data = randomBytes(12 * 1024 * 1024 + 17)
      expect(await driver.putStream(path, streamOf(data, 1024 * 1024))).toBe(data.length)
      expect((await driver.stat(path)).size).toBe(data.length)
      expect(await bytesOf(await driver.read(path))).toEqual(data)
      // A small body, and an empty one.
      expect(await driver.putStream(`${base}/small`, streamOf(randomBytes(100), 7))).toBe(100)
      expect(await driver.putStream(`${base}/empty`, streamOf(new Uint8Array(0), 1))).toBe(0)
      expect((await driver.stat(`${base}/empty`)).size).toBe(0)
      expect((await driver.list(base)).sort()).toEqual(['empty', 'small', 'streamed'])
    })

    test('putStream of a body that errors keeps what the path held and leaves nothing', async () => {
      const base = fresh()
      await driver.putContent(`${base}/kept`, 'old')
      for (const [name, size] of [
        ['kept', 12 * 1024 * 1024],
        ['new-large', 12 * 1024 * 1024],
        ['new-small', 1000],
      ] as const) {
        const broken = streamOf(randomBytes(size), 1024 * 1024, new Error('the body did not verify'))
        await expect(driver.putStream(`${base}/${name}`, broken)).rejects.toThrow('the body did not verify')
      }
      expect(text(await driver.getContent(`${base}/kept`))).toBe('old')
      expect(await driver.list(base)).toEqual(['kept'])
    })

    test('move replaces the destination and removes the source', async () => {
      const base = fresh()
      await driver.putContent(`${base}/from`, 'moved')
      await driver.putContent(`${base}/deep/to`, 'old')
      await driver.move(`${base}/from`, `${base}/deep/to`)
      expect(text(await driver.getContent(`${base}/deep/to`))).toBe('moved')
      await expect(driver.stat(`${base}/from`)).rejects.toBeInstanceOf(PathNotFoundError)
    })

    test('move of a missing source throws PathNotFoundError', async () => {
      const base = fresh()
      await expect(driver.move(`${base}/none`, `${base}/to`)).rejects.toBeInstanceOf(PathNotFoundError)
    })

    test('copy keeps the source and creates the destination, with and without link', async () => {
      const base = fresh()
      await driver.putContent(`${base}/source`, 'shared bytes')
      await driver.copy(`${base}/source`, `${base}/a/copy`)
      await driver.copy(`${base}/source`, `${base}/b/link`, { link: true })
      expect(text(await driver.getContent(`${base}/source`))).toBe('shared bytes')
      expect(text(await driver.getContent(`${base}/a/copy`))).toBe('shared bytes')
      expect(text(await driver.getContent(`${base}/b/link`))).toBe('shared bytes')
    })

    test('delete removes files and whole trees; missing paths are fine', async () => {
      const base = fresh()
      await driver.putContent(`${base}/tree/a`, '1')
      await driver.putContent(`${base}/tree/sub/b`, '2')
      await driver.putContent(`${base}/keep`, '3')
      await driver.delete(`${base}/tree`)
      expect(await driver.list(`${base}/tree`)).toEqual([])
      expect(await driver.list(base)).toEqual(['keep'])
      await driver.delete(`${base}/keep`)
      await driver.delete(`${base}/never-existed`)
      await expect(driver.stat(`${base}/keep`)).rejects.toBeInstanceOf(PathNotFoundError)
    })

    test('paths that could escape the root are refused', async () => {
      for (const bad of ['../escape', 'a/../../b', '/absolute', 'a//b', 'a/./b']) {
        await expect(driver.getContent(bad)).rejects.toThrow('unsafe storage path')
        await expect(driver.putContent(bad, 'x')).rejects.toThrow('unsafe storage path')
      }
    })

    test('concurrent putContent on one path leaves one complete value', async () => {
      const path = `${fresh()}/contended`
      const values = Array.from({ length: 8 }, (_, i) => `value-${i}-`.repeat(2000))
      await Promise.all(values.map((value) => driver.putContent(path, value)))
      expect(values).toContain(text(await driver.getContent(path)))
    })
  })
}
