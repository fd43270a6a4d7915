/**
 * @module
 * Byte sizes as people write them in a config: a whole number of bytes (`21474836480`) or a
 * number with a unit (`"20GiB"`, `"500MB"`, `"1.5G"`). Binary units (KiB, MiB, GiB, TiB) are
 * powers of 1024; decimal ones (kB, MB, GB, TB) powers of 1000, as docker and Kubernetes read
 * them; a bare K, M, G or T is binary, since a disk budget is meant, not a network rate.
 */

const UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
}

/** What `parseSize` accepts, for the JSON Schema. */
export const SIZE_PATTERN = /^\s*\d+(\.\d+)?\s*([kKmMgGtT]([iI]?[bB])?|[bB])?\s*$/

/** Bytes of a size string or number; undefined when it is not one. */
export function parseSize(raw: string | number): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim())
  if (!match) return undefined
  const unit = UNITS[(match[2] ?? '').toLowerCase() || 'b']
  if (unit === undefined) return undefined
  const bytes = Math.floor(Number(match[1]) * unit)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** `20 GiB`, `512 MiB`, `300 B`: for logs and messages. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}
