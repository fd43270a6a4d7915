/**
 * @module
 * zot's `Time` scalar is Go's `time.Time` as RFC 3339: the zero time (never pulled, unknown
 * creation) is `0001-01-01T00:00:00Z`, which zui and zli recognise; they get exactly that.
 */
const ZERO_TIME = '0001-01-01T00:00:00Z'

/** Milliseconds since the epoch (0 or undefined: unknown) as zot's Time. */
export function goTime(milliseconds: number | undefined): string {
  if (!milliseconds) return ZERO_TIME
  return new Date(milliseconds).toISOString().replace('.000Z', 'Z')
}
