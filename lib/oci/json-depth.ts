/**
 * @module
 * A guard run before `JSON.parse` on bodies a client sends: the parser's cost grows with nesting
 * (a body of nothing but `[[[[…]]]]` keeps the event loop busy far longer than any manifest, and
 * recursion this deep can exhaust the stack), while no manifest needs more than a handful of levels. One linear pass
 * over the bytes, skipping string contents, finds the deepest nesting.
 */

/** Deepest nesting accepted in a manifest; OCI manifests and indexes need about five. */
export const MAX_JSON_DEPTH = 64

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d

/**
 * True when the JSON text nests objects and arrays deeper than `limit`. Malformed input is
 * judged on what it holds (the parser reports its other faults).
 */
export function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]
    if (inString) {
      if (byte === BACKSLASH) index++
      else if (byte === QUOTE) inString = false
    } else if (byte === QUOTE) {
      inString = true
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limit) return true
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--
    }
  }
  return false
}
