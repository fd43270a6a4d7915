/**
 * @module
 * Debian's `nats-server` for the events extension's nats sink: started on free loopback ports
 * (client and monitoring), ready when its `/healthz` answers, stopped by PID.
 */
import { freePort } from '../server'
import { startProcess, type RunningProcess } from '../process'

export interface RunningNats {
  /** `nats://127.0.0.1:PORT` */
  url: string
  process: RunningProcess
}

export async function startNats(): Promise<RunningNats> {
  const [port, monitor] = [await freePort(), await freePort()]
  const process = await startProcess({
    command: ['nats-server', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor)],
    readyUrl: `http://127.0.0.1:${monitor}/healthz`,
    readyTimeoutMs: 10_000,
  })
  return { url: `nats://127.0.0.1:${port}`, process }
}
