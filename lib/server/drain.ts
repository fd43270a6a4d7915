/**
 * @module
 * Graceful shutdown: stop accepting, let in-flight requests finish up to a bound, then close what
 * is left (a 10 GiB pull must not hold a restart hostage forever).
 */
import type { Logger } from '../log/logger'
import type { RunningServer } from './server'

export const DRAIN_TIMEOUT_MS = 30_000

/** Whether `work` settles within `timeoutMs`; its rejection propagates. */
export async function settlesWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: Timer | undefined
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs)
  })
  try {
    return await Promise.race([work.then(() => true), late])
  } finally {
    clearTimeout(timer)
  }
}

export async function drain(server: RunningServer, logger: Logger, timeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
  if (await settlesWithin(server.stop(false), timeoutMs)) return
  logger.warn('in-flight requests did not finish in time; closing them', { timeoutMs })
  await server.stop(true)
}
