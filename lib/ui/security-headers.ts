/**
 * @module
 * Headers of every HTML answer of the UI and the key page: a CSP that allows only our own
 * stylesheet, script and form targets (no inline script or style at all), no framing, no
 * caching (pages show per-user data, one shows a new key), and no MIME sniffing.
 */
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/context'

const HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  // Not no-referrer: with it browsers post forms with `Origin: null`, which the CSRF check refuses.
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
}

export const pageSecurityHeaders = createMiddleware<AppEnv>(async function pageSecurityHeaders(c, next) {
  await next()
  for (const [name, value] of Object.entries(HEADERS)) c.res.headers.set(name, value)
})
