/**
 * @module
 * Graceful shutdown: stop accepting, let in-flight requests finish up to a bound, then close what
 * is left (a 10 GiB pull must not hold a restart hostage forever).
 */
import type { Logger } from '../log/logger'
import type { RunningServer } from './server'

export const DRAIN_TIMEOUT_MS = 30_000

export async function drain(server: RunningServer, logger: Logger, timeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
  let timer: Timer | undefined
  const forced = new Promise<'forced'>((resolve) => {
    timer = setTimeout(() => resolve('forced'), timeoutMs)
  })
  const outcome = await Promise.race([server.stop(false).then(() => 'drained' as const), forced])
  clearTimeout(timer)
  if (outcome === 'forced') {
    logger.warn('in-flight requests did not finish in time; closing them', { timeoutMs })
    await server.stop(true)
  }
}
