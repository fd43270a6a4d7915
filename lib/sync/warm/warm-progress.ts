/**
 * @module
 * `zot sync warm`'s status line on a terminal, redrawn in place at most four times a second:
 * `warm: 1/3 images, 12.0 MiB/48.0 MiB, ETA 4s`. The byte total grows as manifests are read,
 * so the estimate firms up once every image has been resolved. Pipes and logs get no line
 * (`io.progress` is absent there), only the per-image lines and the summary.
 */
import type { MaintenanceIo } from '../../maintenance/io'
import { formatAge, formatBytes } from '../../maintenance/reports/format'
import type { WarmProgressState } from './warm-images'

/** No estimate before this: the first seconds say little about the rate. */
const ETA_AFTER_MS = 2000
const REDRAW_MS = 250

export function warmProgressLine(state: WarmProgressState, elapsedMs: number): string {
  const { imagesDone, imagesTotal, bytesDone, bytesTotal } = state
  let line = `warm: ${imagesDone}/${imagesTotal} images, ${formatBytes(bytesDone)}/${formatBytes(bytesTotal)}`
  if (bytesDone > 0 && bytesDone < bytesTotal && elapsedMs >= ETA_AFTER_MS)
    line += `, ETA ${formatAge((elapsedMs * (bytesTotal - bytesDone)) / bytesDone)}`
  return line
}

export interface WarmProgress {
  update(state: WarmProgressState): void
  /** Writes a line above the status line (which is redrawn after it). */
  print(write: () => void): void
  /** Clears the line for good. */
  stop(): void
}

/** The status line, or undefined when `io` has no terminal. */
export function startWarmProgress(io: MaintenanceIo): WarmProgress | undefined {
  const draw = io.progress
  if (!draw) return undefined
  const started = performance.now()
  let last: WarmProgressState | undefined
  let drawnAt = Number.NEGATIVE_INFINITY
  let stopped = false
  const drawNow = (): void => {
    if (!last || stopped) return
    drawnAt = performance.now()
    draw(warmProgressLine(last, drawnAt - started))
  }
  // Redrawn while a large blob is read, even if no image finishes.
  const timer = setInterval(drawNow, REDRAW_MS)
  timer.unref()
  return {
    update(state) {
      last = state
      if (performance.now() - drawnAt >= REDRAW_MS) drawNow()
    },
    print(write) {
      draw('')
      write()
      drawNow()
    },
    stop() {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      draw('')
    },
  }
}
