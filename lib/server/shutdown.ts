/**
 * @module
 * Stopping `serve` on SIGTERM or SIGINT the way a service manager expects (systemd's stop and
 * restart must not end in TimeoutStopSec and a SIGKILL). At the first signal one AbortSignal
 * cancels every background job at once — periodic sync and its retry waits, fills nobody waits
 * for, GC, scrub and dedupe walks, timers — while the listener closes and in-flight requests get
 * the drain time. Then the jobs' ends are awaited and the metadata written, within a deadline,
 * and the process exits. A second signal exits at once.
 */
import type { Logger } from '../log/logger'
import { drain, DRAIN_TIMEOUT_MS, settlesWithin } from './drain'
import type { RunningServer } from './server'

/** How long cancelled background jobs get to end, and metadata to be written, after the drain. */
const CLOSE_TIMEOUT_MS = 5_000
/** A stopped server whose event loop is still busy (an orphaned upstream fetch) exits anyway. */
const EXIT_GRACE_MS = 1_000

export interface StopPlan {
  server: RunningServer
  logger: Logger
  /** Aborted at the first signal; every background job honours it. */
  background: AbortController
  /** Awaits the cancelled jobs and writes what is pending; runs after the drain. */
  close(): Promise<void>
}

/**
 * Handles SIGTERM and SIGINT. Resolves with the exit code once stopped: 0, or 1 when background
 * work failed or outlived CLOSE_TIMEOUT_MS. A second signal exits with 1 at once.
 */
export function stopOnSignals(plan: StopPlan): Promise<number> {
  const { logger } = plan
  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn('second stop signal: exiting now, cutting in-flight requests', { signal })
        process.exit(1)
      }
      stopping = true
      const started = Date.now()
      logger.info('shutting down', { signal, drainTimeoutMs: DRAIN_TIMEOUT_MS })
      plan.background.abort()
      void drain(plan.server, logger)
        .catch((error: unknown) => logger.error('closing the listener failed', { error }))
        .then(() => closeWithin(plan, CLOSE_TIMEOUT_MS))
        .then((code) => {
          logger.info('stopped', { signal, ms: Date.now() - started, exitCode: code })
          // Normally the event loop is empty now and the process ends on its own, stdout flushed
          // (process.exit drops log lines a slow pipe has not taken yet).
          setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref()
          resolve(code)
        })
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
}

async function closeWithin(plan: StopPlan, timeoutMs: number): Promise<number> {
  try {
    if (await settlesWithin(plan.close(), timeoutMs)) return 0
    plan.logger.error('background work did not end in time; exiting without it', { timeoutMs })
  } catch (error) {
    plan.logger.error('stopping background work failed', { error })
  }
  return 1
}
