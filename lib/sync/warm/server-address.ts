/**
 * @module
 * Where `zot sync warm` finds the server a config describes: `http.address` and `http.port`,
 * HTTPS when `http.tls` has a certificate. A wildcard listen address is reached on loopback. The
 * server's own certificate is trusted besides the system's roots, so a self-signed one (the usual
 * edge box) verifies; `--url` names the server otherwise (a certificate for a DNS name).
 */
import { readFile } from 'node:fs/promises'
import { rootCertificates } from 'node:tls'
import type { HttpConfig } from '../../config'
import type { UpstreamTls } from '../upstream/tls'

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]'])

/** `http(s)://host:port` of the server the `http` section describes. */
export function serverUrl(http: Pick<HttpConfig, 'address' | 'port' | 'tls'>): string {
  const scheme = http.tls?.cert ? 'https' : 'http'
  const address = WILDCARDS.has(http.address) ? '127.0.0.1' : http.address
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address
  return `${scheme}://${host}:${http.port}`
}

/** TLS towards the server: the system's roots plus the server's own certificate file, if any. */
export async function serverTls(http: Pick<HttpConfig, 'tls'>): Promise<UpstreamTls> {
  const cert = http.tls?.cert
  const own = cert
    ? [
        await readFile(cert, 'utf8').catch((error: Error) => {
          throw new Error(`cannot read http.tls.cert ${cert} to trust the server: ${error.message}`, { cause: error })
        }),
      ]
    : []
  return { rejectUnauthorized: true, ...(own.length > 0 && { ca: [...rootCertificates, ...own] }) }
}
