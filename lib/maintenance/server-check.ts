/**
 * @module
 * Whether something listens on the server's configured address. `zot gc` and `zot scrub` refuse
 * to run beside a live server on the same storage: a second process would race its pushes
 * without sharing its locks, and the server's cached index.json files would silently overwrite
 * what GC rewrote (zot's scrub refuses the same way).
 */
/** A server listening on every interface is reached through loopback. */
const LOCAL_FOR_WILDCARD: Record<string, string> = {
  '': '127.0.0.1',
  '0.0.0.0': '127.0.0.1',
  '::': '::1',
  '[::]': '::1',
}

/**
 * Resolves to true when a TCP connection to the address succeeds within `timeoutMs`.
 *
 * @example
 * if (await somethingListens(config.http.address, config.http.port)) return refuse()
 */
export async function somethingListens(address: string, port: number | string, timeoutMs = 1000): Promise<boolean> {
  const hostname = (LOCAL_FOR_WILDCARD[address] ?? address).replace(/^\[(.*)\]$/, '$1')
  const connect = Bun.connect({
    hostname,
    port: Number(port),
    socket: { open: (socket) => void socket.end(), data: () => {}, error: () => {}, close: () => {} },
  }).then(
    () => true,
    () => false,
  )
  let timer: Timer | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs)
  })
  try {
    return await Promise.race([connect, timeout])
  } finally {
    clearTimeout(timer)
  }
}
