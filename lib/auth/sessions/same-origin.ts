/**
 * @module
 * CSRF defence for state-changing auth endpoints (API-key creation and deletion, logout).
 * Browsers announce where a request comes from (`Origin`, `Sec-Fetch-Site`); a request a browser
 * marks as coming from another site is refused, whatever credentials it carries (cookies, or
 * Basic credentials the browser cached). Requests without those headers come from non-browser
 * clients (curl, CI scripts), which no third-party page can drive, and pass: hono's `csrf`
 * middleware would refuse `curl -d '{...}'`, which zot documents for creating keys.
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../../http/context'
import { denied } from '../failures'

/** Why the request looks cross-site, or undefined when it does not. */
export function crossSiteReason(c: Context, trustedOrigins: readonly string[]): string | undefined {
  const origin = c.req.header('Origin')
  if (origin !== undefined) {
    if (origin === new URL(c.req.url).origin || trustedOrigins.includes(origin)) return undefined
    return `requests from origin ${origin} are not accepted here`
  }
  const site = c.req.header('Sec-Fetch-Site')
  if (site === 'cross-site' || site === 'same-site') {
    return 'cross-site requests are not accepted here'
  }
  return undefined
}

/**
 * Refuses (403 DENIED) unsafe-method requests a browser marks as cross-site.
 *
 * @param trustedOrigins origins besides the request's own that may call (externalUrl's, and
 *   `openid.callbackAllowOrigins`)
 */
export const sameOrigin = (trustedOrigins: readonly string[]) =>
  createMiddleware<AppEnv>(async function sameOrigin(c, next) {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      const reason = crossSiteReason(c, trustedOrigins)
      if (reason) throw denied(reason)
    }
    await next()
  })
