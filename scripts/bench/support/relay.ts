/**
 * @module
 * The floor under any cache written in Bun, for cold-pull.ts: a server on 127.0.0.1 that answers
 * every request by fetching the same path from the upstream and passing the body straight
 * through with its Content-Length. With `--hash` it also feeds every chunk to a SHA-256
 * `Bun.CryptoHasher`, as a cache that verifies digests must, and holds nothing. No spool, no
 * storage, no checks: whatever a real cache costs above this is its own.
 *
 *   bun scripts/bench/support/relay.ts UPSTREAM_URL PORT [--hash]
 */
const [upstream, port, mode] = process.argv.slice(2)
if (!upstream || !port) throw new Error('usage: relay.ts UPSTREAM_URL PORT [--hash]')
const PASSED_HEADERS = ['Content-Length', 'Content-Type', 'Docker-Content-Digest']

/** The same chunks, each hashed on its way through. */
function hashing(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const hasher = new Bun.CryptoHasher('sha256')
  const reader = body.getReader()
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read()
      if (done) {
        hasher.digest()
        controller.close()
        return
      }
      hasher.update(value)
      controller.enqueue(value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
}

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(port),
  async fetch(request) {
    const url = new URL(request.url)
    const answer = await fetch(upstream + url.pathname + url.search, { method: request.method })
    const headers = new Headers()
    for (const name of PASSED_HEADERS) {
      const value = answer.headers.get(name)
      if (value !== null) headers.set(name, value)
    }
    const body = answer.body && mode === '--hash' ? hashing(answer.body) : answer.body
    return new Response(body, { status: answer.status, headers })
  },
})
