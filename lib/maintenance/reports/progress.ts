/**
 * @module
 * The live status line of `zot gc` and `zot scrub` on a terminal: repositories done, bytes done
 * of the store's total, and an estimate of the time left, e.g.
 * `scrub: 3/40 repositories, 1.2 GiB/8.5 GiB, ETA 2m10s  library/nginx`.
 *
 * The total comes from listing every repository's blobs, done in the background while the pass
 * runs (on S3 that listing takes a while, and the pass must not wait for a status line); until it
 * is known the line shows counts only. A repository counts its blobs' bytes once it is done;
 * scrub also reports the bytes it hashed so far, so a large repository moves the line too.
 */
import type { Registry } from '../../registry/registry'
import { formatAge, formatBytes } from './format'
import type { MaintenanceIo } from '../io'

export interface ProgressState {
  command: string
  repositoriesDone: number
  repositoriesTotal: number
  /** The repository being worked on ('' between repositories). */
  repository: string
  /** Bytes done and the store's total, once the total is known. */
  bytes?: { done: number; total: number }
  elapsedMs: number
}

/** No estimate before this: the first seconds say little about the rate. */
const ETA_AFTER_MS = 2000

/** The status line for `state`. */
export function progressLine(state: ProgressState): string {
  const { command, repositoriesDone, repositoriesTotal, repository, bytes, elapsedMs } = state
  let line = `${command}: ${repositoriesDone}/${repositoriesTotal} repositories`
  if (bytes) {
    const done = Math.min(bytes.done, bytes.total)
    line += `, ${formatBytes(done)}/${formatBytes(bytes.total)}`
    if (done > 0 && elapsedMs >= ETA_AFTER_MS) line += `, ETA ${formatAge((elapsedMs * (bytes.total - done)) / done)}`
  }
  return repository ? `${line}  ${repository}` : line
}

/**
 * Bytes of each repository's blobs; a repository that cannot be listed counts as 0. Stops early,
 * with what it found, once `signal` aborts.
 */
export async function repositorySizes(registry: Registry, signal?: AbortSignal): Promise<Map<string, number>> {
  const sizes = new Map<string, number>()
  for (const repository of await registry.catalog.list()) {
    if (signal?.aborted) break
    sizes.set(
      repository,
      await registry
        .maintenance(repository)
        .storedBytes()
        .catch(() => 0),
    )
  }
  return sizes
}

export interface Progress {
  /**
   * A repository starts (`done` finished before it); `repository` is '' when all are done.
   * `bytesProcessed` reads the pass's running total of bytes worked through (scrub's hashed
   * bytes), so the line moves within a repository too.
   */
  repository(done: number, total: number, repository: string, bytesProcessed?: () => number): void
  /** Clears the line and stops redrawing; again, it does nothing. */
  stop(): void
}

/** Redraws at most this often; also this often while one repository takes long. */
const REDRAW_MS = 250

/**
 * The status line for a pass over `registry`, or undefined when `io` has no terminal to draw on
 * (then nothing is listed or measured either).
 */
export function startProgress(command: string, io: MaintenanceIo, registry: Registry): Progress | undefined {
  const draw = io.progress
  if (!draw) return undefined
  const started = performance.now()
  let sizes: Map<string, number> | undefined
  let storeBytes = 0
  // Stopped with the line: a listing still running must not keep the finished command alive.
  const listing = new AbortController()
  void repositorySizes(registry, listing.signal).then(
    (found) => {
      sizes = found
      storeBytes = [...found.values()].reduce((sum, size) => sum + size, 0)
    },
    () => {}, // no total: the line keeps showing counts
  )
  let done = 0
  let total = 0
  let current = ''
  const finished: string[] = []
  let processed: (() => number) | undefined
  let processedAtStart = 0
  let drawnAt = -Infinity
  let stopped = false

  const bytes = (): ProgressState['bytes'] => {
    if (!sizes) return undefined
    const sizeOf = (repository: string) => sizes?.get(repository) ?? 0
    let doneBytes = finished.reduce((sum, repository) => sum + sizeOf(repository), 0)
    if (current && processed) doneBytes += Math.min(processed() - processedAtStart, sizeOf(current))
    return { done: doneBytes, total: storeBytes }
  }
  const drawNow = () => {
    if (total === 0) return
    drawnAt = performance.now()
    const elapsedMs = drawnAt - started
    const state = { command, repositoriesDone: done, repositoriesTotal: total, repository: current, elapsedMs }
    const measured = bytes()
    draw(progressLine(measured ? { ...state, bytes: measured } : state))
  }
  // Thousands of small repositories must not mean thousands of terminal writes a second.
  const redraw = () => {
    if (performance.now() - drawnAt >= REDRAW_MS) drawNow()
  }
  const timer = setInterval(drawNow, REDRAW_MS)
  timer.unref()

  return {
    repository(doneBefore, totalRepositories, repository, bytesProcessed) {
      if (current) finished.push(current)
      done = doneBefore
      total = totalRepositories
      current = repository
      processed = bytesProcessed ?? processed
      processedAtStart = processed?.() ?? 0
      redraw()
    },
    stop() {
      if (stopped) return
      stopped = true
      listing.abort()
      clearInterval(timer)
      draw('')
    },
  }
}
