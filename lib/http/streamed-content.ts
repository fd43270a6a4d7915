/**
 * @module
 * The streams a content source hands to responses. Content handed out as a web stream (an S3
 * object, a pull-through fill) is produced chunk by chunk in JavaScript; a Blob (a file on local
 * disk, bytes in memory) is sent by Bun.serve itself, with sendfile(2) for files. A response
 * cannot tell the two apart afterwards (its `body` is a ReadableStream either way), so the source
 * records the streams it hands out: the request log measures those as they go out, while
 * measuring a file the same way would read it through JavaScript and forfeit sendfile (5 to 7
 * times the server's CPU per downloaded byte with scripts/bench/zb.ts).
 *
 * A stream that fails mid-transfer (an upstream's corrupt bytes, a storage error) cuts the
 * client's connection, as it must; the failure is logged here as a JSON line, because Bun.serve
 * would print the error's stack trace to stderr instead.
 *
 * Except a body Bun pipes by itself (an S3 object's fetch body, lib/storage/native-body.ts): it is
 * handed on untouched, and the request log treats it like a file. Bun 1.4.5 tells JavaScript
 * neither its end nor its failure (no callback, no abort of the request's signal), so an S3
 * connection that breaks mid-body cuts the client and is reported by Bun's own stderr line (the
 * object's URL and the socket error; requests are signed in headers, so no credential).
 */
import type { Logger } from '../log/logger'
import type { Descriptor } from '../oci/manifest'
import type { ContentSource } from '../registry/content-source'
import { isNativeBody } from '../storage/native-body'

const streamed = new WeakSet<ReadableStream<Uint8Array>>()

/** Whether `body` is a stream a content source handed out (see `recordingStreams`). */
export const isStreamedContent = (body: ReadableStream<Uint8Array>): boolean => streamed.has(body)

/** `stream`, ended without a reason when it fails: Bun.serve prints a reason's stack to stderr. */
function failingQuietly(
  stream: ReadableStream<Uint8Array>,
  failed: (error: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader()
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read()
          if (done) controller.close()
          else controller.enqueue(value)
        } catch (error) {
          failed(error)
          controller.error()
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
}

/**
 * `source`, with every stream it hands out recorded for `isStreamedContent`, and its failure
 * logged instead of printed.
 */
export function recordingStreams(source: ContentSource, logger: Logger): ContentSource {
  const recorded = <T>(content: T, repository: string, digest: string): T | ReadableStream<Uint8Array> => {
    if (!(content instanceof ReadableStream)) return content
    // Bun pipes these itself; any wrapper here would cost a JavaScript hop per chunk (a third
    // more CPU per byte from S3, docs/performance.md). Like a file, such a body is logged with
    // its length, and a failure mid-way cuts the client as it must, reported by Bun's own line.
    if (isNativeBody(content)) return content
    const guarded = failingQuietly(content, (error) =>
      logger.warn('response body failed; the client connection was cut', {
        repository,
        digest,
        error: error instanceof Error ? error.message : String(error),
      }),
    )
    streamed.add(guarded)
    return guarded
  }
  return {
    resolveManifest: (repository, reference) => source.resolveManifest(repository, reference),
    openManifest: async (repository, descriptor: Descriptor) =>
      recorded(await source.openManifest(repository, descriptor), repository, descriptor.digest),
    statBlob: (repository, digest) => source.statBlob(repository, digest),
    openBlob: async (repository, digest, range) =>
      recorded(await source.openBlob(repository, digest, range), repository, digest),
    listTags: (repository) => source.listTags(repository),
    listReferrers: (repository, digest, artifactType) => source.listReferrers(repository, digest, artifactType),
  }
}
