/**
 * @module
 * Parsing the two range headers of the API: `Range: bytes=a-b` on blob GET (RFC 9110) and
 * `Content-Range: a-b` on chunked upload PATCH (the distribution spec's form, no unit).
 */

/** A satisfiable byte range, inclusive `end`. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * Resolves a `Range` header against a blob size: undefined means "serve it whole" (no header, or
 * a form we do not serve partially, like multiple ranges); 'unsatisfiable' means 416.
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (start >= size || (last !== '' && Number(last) < start)) return 'unsatisfiable'
  return { start, end }
}

/** Parses a PATCH's `Content-Range` (`a-b`, also accepting `bytes a-b/total`). */
export function parseContentRange(header: string | undefined): ByteRange | 'invalid' | undefined {
  if (!header) return undefined
  const match = /^(?:bytes )?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim())
  if (!match) return 'invalid'
  const start = Number(match[1])
  const end = Number(match[2])
  return end < start ? 'invalid' : { start, end }
}
