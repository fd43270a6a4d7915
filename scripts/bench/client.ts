/**
 * @module
 * The distribution-API calls the benchmark makes, with plain fetch: blob pushes (monolithic and
 * streamed), image pushes and pulls. Layer content is random and unique per image, so no
 * registry can skip work by deduplicating.
 */
export class BenchClient {
  constructor(
    private readonly base: string,
    private readonly authorization?: string,
  ) {}

  get baseUrl(): string {
    return this.base
  }

  authHeaders(extra: Record<string, string> = {}): Record<string, string> {
    return this.authorization ? { Authorization: this.authorization, ...extra } : extra
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.authHeaders(extra)
  }

  async expect(response: Response, status: number, what: string): Promise<Response> {
    if (response.status !== status) throw new Error(`${what}: ${response.status} ${await response.text()}`)
    return response
  }

  async pushBlobMonolithic(repository: string, data: Uint8Array): Promise<string> {
    const digest = `sha256:${new Bun.CryptoHasher('sha256').update(data).digest('hex')}`
    const session = await this.expect(
      await fetch(`${this.base}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: this.headers() }),
      202,
      'POST upload',
    )
    const location = new URL(session.headers.get('Location')!, this.base)
    location.searchParams.set('digest', digest)
    await this.expect(
      await fetch(location, {
        method: 'PUT',
        body: data,
        headers: this.headers({ 'Content-Type': 'application/octet-stream' }),
      }),
      201,
      'PUT blob',
    )
    return digest
  }

  async pushBlobStreamed(repository: string, data: Uint8Array): Promise<string> {
    const digest = `sha256:${new Bun.CryptoHasher('sha256').update(data).digest('hex')}`
    const session = await this.expect(
      await fetch(`${this.base}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: this.headers() }),
      202,
      'POST upload',
    )
    const patch = await this.expect(
      await fetch(new URL(session.headers.get('Location')!, this.base), {
        method: 'PATCH',
        body: new Blob([data]).stream(),
        headers: this.headers({ 'Content-Type': 'application/octet-stream' }),
      }),
      202,
      'PATCH',
    )
    const location = new URL(patch.headers.get('Location')!, this.base)
    location.searchParams.set('digest', digest)
    await this.expect(await fetch(location, { method: 'PUT', headers: this.headers() }), 201, 'PUT upload')
    return digest
  }

  /** Pushes config + one layer of `layerBytes` + manifest; returns the bytes pushed. */
  async pushImage(repository: string, tag: string, layerBytes: number, streamed: boolean): Promise<number> {
    const layer = randomBytes(layerBytes)
    const config = new TextEncoder().encode(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [] },
        nonce: crypto.randomUUID(),
      }),
    )
    const push = (data: Uint8Array) =>
      streamed ? this.pushBlobStreamed(repository, data) : this.pushBlobMonolithic(repository, data)
    const [layerDigest, configDigest] = await Promise.all([push(layer), push(config)])
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    })
    await this.expect(
      await fetch(`${this.base}/v2/${repository}/manifests/${tag}`, {
        method: 'PUT',
        body: manifest,
        headers: this.headers({ 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }),
      }),
      201,
      'PUT manifest',
    )
    return layer.length + config.length
  }

  /** HEAD manifest, GET manifest, GET config, GET layer(s); returns the bytes pulled. */
  async pullImage(repository: string, tag: string): Promise<number> {
    const accept = 'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json'
    await this.expect(
      await fetch(`${this.base}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: this.headers({ Accept: accept }),
      }),
      200,
      'HEAD manifest',
    )
    const response = await this.expect(
      await fetch(`${this.base}/v2/${repository}/manifests/${tag}`, { headers: this.headers({ Accept: accept }) }),
      200,
      'GET manifest',
    )
    const manifest = (await response.json()) as { config: { digest: string }; layers: { digest: string }[] }
    let bytes = 0
    for (const digest of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      const blob = await this.expect(
        await fetch(`${this.base}/v2/${repository}/blobs/${digest}`, { headers: this.headers() }),
        200,
        'GET blob',
      )
      for await (const chunk of blob.body!) bytes += chunk.byteLength
    }
    return bytes
  }
}

export function randomBytes(size: number): Uint8Array {
  const data = new Uint8Array(size)
  for (let offset = 0; offset < size; offset += 65536)
    crypto.getRandomValues(data.subarray(offset, Math.min(size, offset + 65536)))
  return data
}
