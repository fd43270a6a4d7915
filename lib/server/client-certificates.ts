/**
 * @module
 * TLS with client certificates (`http.tls.cacert`), as zot does it: a client may present a
 * certificate, which must then be signed by the CA (else the handshake is refused); a client
 * without one goes on as anonymous or with Basic credentials (Go's `VerifyClientCertIfGiven`).
 *
 * Why a terminator: Bun 1.4.5's HTTP servers (`Bun.serve`, and `node:https`, whose
 * `req.socket` has no `getPeerCertificate`) can require a CA-signed certificate but never tell
 * the application which one was presented, nor accept a missing one while refusing a bad one.
 * Raw TLS sockets (`node:tls`) do. So with a CA configured, `node:tls` accepts the connections
 * and pipes each, with backpressure, to the HTTP server on a loopback port; the terminator
 * remembers which loopback connection carries which client (address and certificate), and the
 * HTTP side looks that up by the loopback connection's port. Bodies stream through; nothing is
 * buffered beyond the sockets' own buffers. The extra hop costs one copy per byte in this process.
 */
import { connect, type AddressInfo, type Socket } from 'node:net'
import { createServer, type Server as TlsServer, type TLSSocket } from 'node:tls'

/** Who is on the other end of a terminated connection. */
export interface Peer {
  address: string
  port: number
  family: 'IPv4' | 'IPv6'
  /** The client certificate (DER), verified against the CA; absent when none was presented. */
  certificate?: Buffer
}

export interface TlsMaterial {
  cert: string
  key: string
  ca: string
}

export interface Terminator {
  port: number
  /** The client of a loopback connection, by the loopback connection's source port. */
  peer(loopbackPort: number): Peer | undefined
  /** Serves new connections with new material; open ones keep theirs. */
  setMaterial(material: TlsMaterial): void
  /** Stops accepting; `force` also cuts open connections. */
  stop(force: boolean): Promise<void>
}

export interface TerminatorOptions {
  address: string
  port: number
  material: TlsMaterial
  /** The HTTP server's loopback port. */
  upstreamPort: number
}

const secureOptions = (material: TlsMaterial) => ({
  ...material,
  // Ask for a certificate, refuse the connection below when one is presented and not trusted.
  requestCert: true,
  rejectUnauthorized: false,
})

/** Accepts TLS on `address:port` and pipes each connection to the loopback HTTP server. */
export async function startTerminator(options: TerminatorOptions): Promise<Terminator> {
  const peers = new Map<number, Peer>()
  const open = new Set<Socket>()
  const server: TlsServer = createServer(secureOptions(options.material), (client: TLSSocket) => {
    const presented = client.getPeerCertificate(false)
    const hasCertificate = presented !== null && Object.keys(presented).length > 0
    if (hasCertificate && !client.authorized) {
      client.destroy()
      return
    }
    const upstream = connect({ host: '127.0.0.1', port: options.upstreamPort })
    open.add(client)
    let loopbackPort: number | undefined
    const close = () => {
      if (loopbackPort !== undefined) peers.delete(loopbackPort)
      open.delete(client)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    upstream.on('connect', () => {
      loopbackPort = upstream.localPort
      if (loopbackPort === undefined) return close()
      peers.set(loopbackPort, {
        address: client.remoteAddress ?? '',
        port: client.remotePort ?? 0,
        family: client.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4',
        ...(hasCertificate && { certificate: presented.raw }),
      })
      // Known before the first byte reaches the HTTP server, so every request finds its peer.
      client.pipe(upstream).pipe(client)
    })
  })
  server.on('tlsClientError', () => undefined)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.address, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    peer: (loopbackPort) => peers.get(loopbackPort),
    setMaterial: (material) => server.setSecureContext(secureOptions(material)),
    stop: (force) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        if (force) for (const socket of open) socket.destroy()
      }),
  }
}
