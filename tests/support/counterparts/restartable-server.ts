/**
 * @module
 * A counterpart's HTTP server on 127.0.0.1 that can go down and come back on the same port: the
 * tests of what a client does while its service is unreachable (connection refused) and after.
 */

export interface RestartableServer {
  port: number
  /** Closes the port: clients get connection refused. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): void
}

export function restartableServer(fetch: (request: Request) => Response | Promise<Response>): RestartableServer {
  const listen = (port: number) => Bun.serve({ hostname: '127.0.0.1', port, fetch })
  let server: ReturnType<typeof listen> | undefined = listen(0)
  const port = server.port ?? 0
  return {
    port,
    async stop() {
      await server?.stop(true)
      server = undefined
    },
    start() {
      server ??= listen(port)
    },
  }
}
