/**
 * @module
 * A blob served straight from the upstream without caching it: what a pull gets when the disk
 * has no room for it even after eviction (or it is bigger than the whole budget). It is still
 * verified: the last chunk is held back until the digest of everything before it checks out, so
 * a client never receives a whole blob whose digest is wrong, only a transfer that breaks, the
 * same promise a cached fill makes (blob-fills.ts). Memory stays at one network chunk.
 */
import { createHasher, requireDigest } from '../../../oci/digest'
import { firstRoute, routeLabel, type Route } from '../../routing/route'
import { upstreamFailure } from '../../routing/upstream-failure'
import { UpstreamError } from '../../upstream/upstream-error'

/** `body`, with its last chunk released only once the bytes hash to `digest`. */
function verified(body: ReadableStream<Uint8Array>, digest: string, label: string): ReadableStream<Uint8Array> {
  const expected = requireDigest(digest)
  const hasher = createHasher(expected.algorithm)
  let held: Uint8Array | undefined
  let size = 0
  const check = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hasher.update(chunk)
      size += chunk.byteLength
      if (held) controller.enqueue(held)
      held = chunk
    },
    flush(controller) {
      const actual = hasher.digest()
      if (actual !== expected.value) {
        controller.error(new UpstreamError('invalid', `${label} sent ${size} bytes hashing to ${actual} for ${digest}`))
        return
      }
      if (held) controller.enqueue(held)
    },
  })
  return body.pipeThrough(check)
}

/** The blob from the first route that has it, verified while it streams; nothing is stored. */
export async function straightThrough(digest: string, routes: readonly Route[]): Promise<ReadableStream<Uint8Array>> {
  const found = await firstRoute(routes, (route) => route.upstream.fetchBlob(route.remote, digest))
  if (!('value' in found)) throw upstreamFailure('BLOB_UNKNOWN', { digest }, found.failures)
  return verified(found.value.body, digest, `${routeLabel(found.route)}@${digest}`)
}
