/**
 * @module
 * Where log lines go, batched per event-loop turn. A busy registry logs a line per request, and a
 * write per line was the cost of logging, to a file (`log.output`, appended with open, write and
 * close for every line) and to a pipe (journald) alike; docs/performance.md ("Logging") has the
 * figures. Lines of one turn now go out in one write, in order. The file is opened for
 * each batch, so logrotate's default (rename, then create) needs no signal, as before; whatever is
 * pending is written when the process exits.
 */
import { appendFileSync } from 'node:fs'

export interface LineOutput {
  write(line: string): void
}

const unflushed = new Set<() => void>()
let exitHookInstalled = false

/** Collects lines and hands them to `sink` joined, once per event-loop turn. */
export function batchedOutput(sink: (text: string) => void): LineOutput {
  let lines: string[] = []
  const flush = (): void => {
    unflushed.delete(flush)
    if (lines.length === 0) return
    const text = lines.join('')
    lines = []
    sink(text)
  }
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.on('exit', () => {
      for (const pending of [...unflushed]) pending()
    })
  }
  return {
    write(line) {
      lines.push(`${line}\n`)
      if (unflushed.has(flush)) return
      unflushed.add(flush)
      setImmediate(flush)
    },
  }
}

/** A file output, which can tell whether its writes are failing. */
export interface FileOutput extends LineOutput {
  /** Why the last write failed; undefined once a write succeeds again. */
  failure(): Error | undefined
}

/**
 * Appends to `path` (`log.output`, `log.audit`). The file is created, or checked writable, now:
 * a path that cannot be written stops the caller at start instead of dropping every line.
 * A write that fails later (the directory removed, the disk full or remounted read-only) never
 * loses the lines silently: they go to stderr, after one loud notice per failure spell, and
 * `failure()` reports it until a write succeeds (readiness turns red meanwhile).
 *
 * @throws Error when the file cannot be opened for appending
 */
export function fileOutput(path: string, label = 'log'): FileOutput {
  appendFileSync(path, '')
  let failure: Error | undefined
  const output = batchedOutput((text) => {
    try {
      appendFileSync(path, text)
      if (failure) process.stderr.write(`zot: ${label} ${path} is writable again\n`)
      failure = undefined
    } catch (error) {
      if (!failure) {
        process.stderr.write(
          `zot: cannot write ${label} ${path} (${(error as Error).message}); its lines follow on stderr until it is writable again\n`,
        )
      }
      failure = error as Error
      process.stderr.write(text)
    }
  })
  return { ...output, failure: () => failure }
}

export const stdoutOutput = (): LineOutput => batchedOutput((text) => void process.stdout.write(text))
