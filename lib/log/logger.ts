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
}

/** Errors serialise to nothing by default; keep their message and stack. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack }
  return value
}

export function createLogger(options: { level?: LogLevel; output?: string; write?: (line: string) => void } = {}): Logger {
  const { write } = options.write ? { write: options.write } : options.output ? fileOutput(options.output) : stdoutOutput()
  const logger: Logger = {
    level: options.level ?? 'info',
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
