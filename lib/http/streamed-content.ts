/**
 * @module
 * Which response bodies stream through JavaScript. Content handed out as a web stream (an S3
 * object, a pull-through fill) is produced chunk by chunk in JavaScript; a Blob (a file on local
 * disk, bytes in memory) is sent by Bun.serve itself, with sendfile(2) for files. A response
 * cannot tell the two apart afterwards (its `body` is a ReadableStream either way), so the content
 * source records the streams it hands out. The request log measures those as they go out;
 * measuring a file the same way would read it through JavaScript and forfeit sendfile (5 to 7
 * times the server's CPU per downloaded byte with scripts/bench/zb.ts).
 */
import type { ContentSource } from '../registry/content-source'

const streamed = new WeakSet<ReadableStream<Uint8Array>>()

/** Whether `body` is a stream a content source handed out (see `recordingStreams`). */
export const isStreamedContent = (body: ReadableStream<Uint8Array>): boolean => streamed.has(body)

const recorded = <T>(content: T): T => {
  if (content instanceof ReadableStream) streamed.add(content)
  return content
}

/** `source`, with every stream it hands out recorded for `isStreamedContent`. */
export function recordingStreams(source: ContentSource): ContentSource {
  return {
    resolveManifest: (repository, reference) => source.resolveManifest(repository, reference),
    openManifest: async (repository, descriptor) => recorded(await source.openManifest(repository, descriptor)),
    statBlob: (repository, digest) => source.statBlob(repository, digest),
    openBlob: async (repository, digest, range) => recorded(await source.openBlob(repository, digest, range)),
    listTags: (repository) => source.listTags(repository),
    listReferrers: (repository, digest, artifactType) => source.listReferrers(repository, digest, artifactType),
  }
}
