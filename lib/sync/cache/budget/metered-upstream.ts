/**
 * @module
 * An upstream source that counts the bytes it was sent (`zot_sync_cache_upstream_bytes_total`):
 * manifests as received, blobs by the length the upstream announced when the transfer starts.
 * Counting there costs nothing per chunk, and one count per upstream GET is right however many
 * clients tail the transfer.
 */
import type { UpstreamClient } from '../../upstream/upstream-client'
import { type BlobDownload, type FetchedManifest, UpstreamSource } from '../../upstream/upstream-source'

export interface UpstreamMeter {
  upstreamBytes: number
}

export class MeteredUpstreamSource extends UpstreamSource {
  constructor(
    client: UpstreamClient,
    private readonly meter: UpstreamMeter,
  ) {
    super(client)
  }

  override async fetchManifest(repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const fetched = await super.fetchManifest(repository, reference, signal)
    this.meter.upstreamBytes += fetched.bytes.byteLength
    return fetched
  }

  override async fetchBlob(
    repository: string,
    digest: string,
    options: Parameters<UpstreamSource['fetchBlob']>[2] = {},
  ): Promise<BlobDownload> {
    const download = await super.fetchBlob(repository, digest, options)
    this.meter.upstreamBytes += download.size ?? options.range?.length ?? 0
    return download
  }
}
