/**
 * @module
 * Times a blob download the way a client experiences it: time to first byte, total time, and the
 * digest of what arrived.
 */
export interface TimedPull {
  status: number
  firstByteMs: number
  totalMs: number
  bytes: number
  digest: string
}

export async function timedBlobPull(url: string, repository: string, digest: string): Promise<TimedPull> {
  const started = performance.now()
  const response = await fetch(`${url}/v2/${repository}/blobs/${digest}`)
  const hasher = new Bun.CryptoHasher('sha256')
  let firstByteMs = Number.NaN
  let bytes = 0
  for await (const chunk of response.body ?? new ReadableStream<Uint8Array>()) {
    if (bytes === 0 && chunk.byteLength > 0) firstByteMs = performance.now() - started
    hasher.update(chunk)
    bytes += chunk.byteLength
  }
  return {
    status: response.status,
    firstByteMs,
    totalMs: performance.now() - started,
    bytes,
    digest: `sha256:${hasher.digest('hex')}`,
  }
}
