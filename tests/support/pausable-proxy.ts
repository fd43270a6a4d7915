/**
 * @module
 * A TCP relay on 127.0.0.1 in front of a server (an S3 endpoint) that a test can pause: while
 * paused, bytes in both directions are held (connections stay open, requests hang, as on a stalled
 * link) and are delivered in order on `resume()`. Counts what it holds, so a test knows traffic
 * was in fact stalled.
 */
import { connect, createServer, type Socket } from 'node:net'

export interface PausableProxy {
  /** `http://127.0.0.1:PORT` */
  url: string
  pause(): void
  resume(): void
  /** Chunks held since the last pause. */
  readonly held: number
  stop(): Promise<void>
}

export async function startPausableProxy(target: string): Promise<PausableProxy> {
  const { hostname, port } = new URL(target)
  const sockets = new Set<Socket>()
  let paused = false
  let held: (() => void)[] = []
  const relay = (from: Socket, to: Socket): void => {
    const deliver = (send: () => void): void => {
      if (paused) held.push(send)
      else send()
    }
    from.on('data', (chunk) => deliver(() => to.write(chunk)))
    from.on('end', () => deliver(() => to.end()))
    from.on('error', () => to.destroy())
    from.on('close', () => sockets.delete(from))
    sockets.add(from)
  }
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname)
    relay(client, upstream)
    relay(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('the proxy has no port')
  return {
    url: `http://127.0.0.1:${address.port}`,
    pause() {
      paused = true
    },
    resume() {
      paused = false
      const pending = held
      held = []
      for (const send of pending) send()
    },
    get held() {
      return held.length
    },
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
