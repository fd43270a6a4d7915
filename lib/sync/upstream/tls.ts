/**
 * @module
 * TLS towards an upstream: `tlsVerify: false` skips verification; `certDir` holds `*.crt` CA
 * certificates and a `*.cert`/`*.key` client pair, Docker's certs.d convention that zot follows.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { SyncRegistryConfig } from '../../config'

/** What Bun's fetch takes as its `tls` option. */
export interface UpstreamTls {
  rejectUnauthorized: boolean
  ca?: string[]
  cert?: string
  key?: string
}

export async function loadUpstreamTls(
  options: Pick<SyncRegistryConfig, 'tlsVerify' | 'certDir'>,
): Promise<UpstreamTls> {
  const tls: UpstreamTls = { rejectUnauthorized: options.tlsVerify }
  const { certDir } = options
  if (!certDir) return tls
  try {
    const names = (await readdir(certDir)).sort()
    const read = (name: string): Promise<string> => readFile(join(certDir, name), 'utf8')
    const ca = await Promise.all(names.filter((name) => name.endsWith('.crt')).map(read))
    if (ca.length > 0) tls.ca = ca
    const cert = names.find((name) => name.endsWith('.cert'))
    const key = names.find((name) => name.endsWith('.key'))
    if (cert && key) {
      tls.cert = await read(cert)
      tls.key = await read(key)
    }
  } catch (error) {
    // Node's message names the path but not the setting.
    throw new Error(`certDir ${certDir}: ${(error as Error).message}`, { cause: error })
  }
  return tls
}
