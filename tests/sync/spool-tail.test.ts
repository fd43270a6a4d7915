/**
 * Readers of a spool get the exact bytes whichever way they come: from the memory window while
 * they keep up with the writer, from the file once they fall more than the window behind (a
 * reader that starts late), and never the last byte before the content is declared complete.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Spool } from '../../lib/sync/cache/spool'

const directories: string[] = []

afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })))
})

/** 64 KiB network-sized chunks of a recognisable pattern, `total` bytes in all. */
function chunks(total: number): Uint8Array[] {
  const all = new Uint8Array(total)
  for (let i = 0; i < total; i++) all[i] = (i * 7 + (i >> 16)) & 0xff
  const parts: Uint8Array[] = []
  for (let offset = 0; offset < total; offset += 64 << 10) parts.push(all.slice(offset, offset + (64 << 10)))
  return parts
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

test('a reader that keeps up and one that starts 24 MiB late both get every byte, the last only after complete', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'zot-spool-tail-'))
  directories.push(directory)
  const spool = await Spool.create(directory)
  const parts = chunks(24 << 20)
  const expected = Buffer.concat(parts)

  const early = readAll(spool.tail())
  for (const part of parts) await spool.append(part)

  // Appended whole but not complete: a late reader gets all but the last byte, then waits.
  const late = spool.tail()
  const reader = late.getReader()
  let received = 0
  const prefix: Uint8Array[] = []
  while (received < expected.byteLength - 1) {
    const { value } = await reader.read()
    prefix.push(value!)
    received += value!.byteLength
  }
  expect(received).toBe(expected.byteLength - 1)
  const last = reader.read()
  const pending = await Promise.race([last.then(() => 'read'), Bun.sleep(50).then(() => 'waiting')])
  expect(pending).toBe('waiting')

  await spool.complete()
  const tail = await last
  expect(tail.value?.byteLength).toBe(1)
  expect((await reader.read()).done).toBe(true)
  expect(Buffer.concat([...prefix, tail.value!]).equals(expected)).toBe(true)
  expect(Buffer.from(await early).equals(expected)).toBe(true)
  spool.release()
})

test('a failed spool errors its readers instead of ending them', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'zot-spool-tail-'))
  directories.push(directory)
  const spool = await Spool.create(directory)
  const reading = readAll(spool.tail())
  for (const part of chunks(1 << 20)) await spool.append(part)
  spool.fail(new Error('digest mismatch'))
  spool.release()
  await expect(reading).rejects.toThrow('digest mismatch')
})
