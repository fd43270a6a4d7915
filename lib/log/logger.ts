/**
 * @module
 * Structured logs: one JSON object per line (`time`, `level`, `message`, then fields), written to
 * stdout or a file (zot's `log.output`), batched per event-loop turn (`line-output.ts`). Levels
 * follow zot's names.
 */
import { fileOutput, stdoutOutput } from './line-output'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export type LogFields = Record<string, unknown>

export interface Logger {
  level: LogLevel
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  enabled(level: LogLevel): boolean
  /** Why writes to the log file are failing (lines then go to stderr); undefined when they work. */
  writeFailure(): Error | undefined
}

/** Errors serialise to nothing by default; keep their message and stack. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack }
  return value
}

export interface LoggerOptions {
  /** Least severe level written; `serve` passes `log.level`, whose default the schema gives. */
  level: LogLevel
  /** A file to append to; absent = stdout. */
  output?: string
  /** What the file holds, for the messages about failing writes (`log`, `audit log`). */
  label?: string
  write?: (line: string) => void
}

/**
 * @throws Error when `output` cannot be opened for appending (see `fileOutput`)
 */
export function createLogger(options: LoggerOptions): Logger {
  const file = !options.write && options.output ? fileOutput(options.output, options.label) : undefined
  const write = options.write ?? (file ?? stdoutOutput()).write
  const logger: Logger = {
    level: options.level,
    writeFailure: () => file?.failure(),
    enabled: (level) => RANK[level] >= RANK[logger.level],
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  }
  function emit(level: LogLevel, message: string, fields?: LogFields): void {
    if (!logger.enabled(level)) return
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }, replacer))
  }
  return logger
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger = (): Logger => createLogger({ level: 'error', write: () => {} })
