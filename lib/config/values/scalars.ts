/**
 * @module
 * Weak typing of scalar values the way zot's decoder (mapstructure with `WeaklyTypedInput`)
 * accepts them: `"true"` for a bool, `"5000"` for a number, `5000` for a string. Durations are Go
 * duration strings; a bare number other than 0 is refused because zot would read it as
 * nanoseconds, which is never what was meant.
 */
import { parseGoDuration } from './duration'
import type { ScalarKind } from '../schema/builder'
import { parseSize } from './size'

export type Coerced = { ok: true; value: string | number | boolean } | { ok: false; reason: string; fix?: string }

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False', ''])
const INTEGER = /^[+-]?(\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i

export function coerceScalar(kind: ScalarKind, raw: unknown): Coerced {
  if (raw !== null && typeof raw === 'object') {
    return {
      ok: false,
      reason: `expected ${describeKind(kind)}, found ${Array.isArray(raw) ? 'a list' : 'an object'}`,
    }
  }
  switch (kind) {
    case 'string':
    case 'path':
      return { ok: true, value: String(raw) }
    case 'bool':
      return toBool(raw)
    case 'int':
      return toInteger(raw)
    case 'number':
      return toNumber(raw)
    case 'port':
      return toPort(raw)
    case 'duration':
      return toDuration(raw)
    case 'size':
      return toSize(raw)
  }
}

export function describeKind(kind: ScalarKind): string {
  const names: Record<ScalarKind, string> = {
    string: 'a string',
    path: 'a file path',
    bool: 'true or false',
    int: 'a whole number',
    number: 'a number',
    port: 'a port number (0-65535)',
    duration: 'a duration such as "90s" or "1h30m"',
    size: 'a size such as "20GiB" or a number of bytes',
  }
  return names[kind]
}

function toBool(raw: unknown): Coerced {
  if (typeof raw === 'boolean') return { ok: true, value: raw }
  if (typeof raw === 'number') return { ok: true, value: raw !== 0 }
  const text = String(raw)
  if (TRUE_WORDS.has(text)) return { ok: true, value: true }
  if (FALSE_WORDS.has(text)) return { ok: true, value: false }
  return {
    ok: false,
    reason: 'expected true or false',
    fix: 'write true or false (without quotes)',
  }
}

function toInteger(raw: unknown): Coerced {
  if (typeof raw === 'boolean') return { ok: true, value: raw ? 1 : 0 }
  if (typeof raw === 'number') {
    return Number.isInteger(raw) ? { ok: true, value: raw } : { ok: false, reason: 'expected a whole number' }
  }
  const text = String(raw).trim()
  if (!INTEGER.test(text)) return { ok: false, reason: 'expected a whole number' }
  const negative = text.startsWith('-')
  const magnitude = Number(text.replace(/^[+-]/, ''))
  return { ok: true, value: negative ? -magnitude : magnitude }
}

function toNumber(raw: unknown): Coerced {
  if (typeof raw === 'boolean') return { ok: true, value: raw ? 1 : 0 }
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim())
  if (String(raw).trim() === '' || Number.isNaN(value))
    return { ok: false, reason: 'expected a number', fix: 'write a plain number without units, e.g. 10485760' }
  return { ok: true, value }
}

function toPort(raw: unknown): Coerced {
  const integer = typeof raw === 'boolean' ? undefined : toInteger(raw)
  if (integer?.ok && typeof integer.value === 'number' && integer.value >= 0 && integer.value <= 65535) return integer
  return {
    ok: false,
    reason: 'the port must be a whole number from 0 to 65535',
    fix: 'write a port such as 5000 (0 picks a free port)',
  }
}

function toDuration(raw: unknown): Coerced {
  if (raw === 0) return { ok: true, value: 0 }
  if (typeof raw === 'number') {
    return {
      ok: false,
      reason: 'a bare number is not a duration (zot would read it as nanoseconds)',
      fix: `write a Go duration string with a unit, e.g. "${raw}s" or "${raw}m"`,
    }
  }
  const parsed = typeof raw === 'string' ? parseGoDuration(raw.trim()) : undefined
  if (parsed !== undefined) return { ok: true, value: parsed }
  return {
    ok: false,
    reason: 'expected a Go duration such as "90s", "1h30m" or "500ms"',
    fix: 'use the units ns, us, ms, s, m, h (no spaces, no "d" for days: write "24h")',
  }
}

function toSize(raw: unknown): Coerced {
  const bytes = typeof raw === 'number' || typeof raw === 'string' ? parseSize(raw) : undefined
  if (bytes !== undefined) return { ok: true, value: bytes }
  return {
    ok: false,
    reason: 'expected a size such as "20GiB", "500MB" or a whole number of bytes',
    fix: 'use the units B, KiB, MiB, GiB, TiB (powers of 1024) or kB, MB, GB, TB (powers of 1000)',
  }
}
