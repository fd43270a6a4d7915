/**
 * @module
 * Reads a small request body (a manifest) whole, refusing it as soon as it passes a limit so an
 * oversized body is never buffered.
 */
import { RegistryError } from '../errors/registry-error'

export async function readLimitedBody(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = (): RegistryError =>
    new RegistryError('SIZE_INVALID', {
      status: 413,
      message: 'payload too large',
      detail: { description: `the limit is ${limit} bytes`, limit },
    })
  const declared = request.headers.get('Content-Length')
  if (declared !== null && Number(declared) > limit) throw tooLarge()
  if (!request.body) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of request.body) {
    total += chunk.byteLength
    if (total > limit) throw tooLarge()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, total)
}
