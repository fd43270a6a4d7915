/**
 * @module
 * Authorization of distribution-API requests (`c.var.target`) for the principal set by
 * `authenticate`. Anonymous requests that are not allowed get 401 with a Basic challenge (so
 * clients retry with credentials); authenticated ones get 403 DENIED. Paths outside `/v2` pass
 * through untouched: their routes check what they need.
 *
 * `GET /v2/` (the "ping") and zot's Docker trap (zot issues #2928, #3538, #4173): Docker, and
 * go-containerregistry, regclient and containers/image alike, send stored credentials only
 * after a 401 challenge on the ping; challenges on a 200 are ignored. zot answers anonymous pings
 * with 200 whenever some repository is anonymous-readable, so in a config mixing anonymous and
 * authenticated access, `docker login` "succeeds" and every push or private pull then fails;
 * zot's workaround recognises Docker by User-Agent only. Here an anonymous ping gets 401
 * whenever authentication is configured, for every client. Anonymous pulls still work: with no
 * stored credentials, clients go on after the challenge and fetch anonymously, and each
 * repository request is then judged by its own policy (anonymous reads of anonymous-readable
 * repositories pass). Only a registry without any authentication answers anonymous pings 200.
 */
import { createMiddleware } from 'hono/factory'
import type { AppEnv, Principal } from '../../http/context'
import type { AccessControl } from './access-control'
import { denied, failAfterDelay, unauthorized, type FailureOptions } from '../failures'
import { anonymousPrincipal, isAnonymous } from './principal'
import { requestFacts } from './request-facts'
import { requiredChecks, type TagExists } from './required-actions'

export interface AuthorizeOptions extends FailureOptions {
  access: AccessControl
  /** Decides `create` vs `update` for manifest PUTs. */
  tagExists: TagExists
}

/**
 * Authorizes `/v2/...` requests. Mount it after `authenticate` (which sets `c.var.principal`);
 * without `authenticate` (no authentication configured) requests are judged as anonymous when
 * `accessControl` exists and pass otherwise.
 *
 * `failDelay` applies to denials of authenticated users; challenges to anonymous requests (no
 * credentials offered, nothing guessed) are immediate.
 *
 * `/v2/_catalog` and the extension endpoints are let through (they need no action); their
 * handlers must filter what they answer with `access.canRead(principal, repository)`.
 *
 * @throws RegistryError UNAUTHORIZED (401, Basic challenge) or DENIED (403)
 * @example
 * app.use('*', authenticate({ ... }), authorize({ access, tagExists, realm, failDelay }))
 */
export const authorize = (options: AuthorizeOptions) =>
  createMiddleware<AppEnv>(async function authorize(c, next) {
    const target = c.get('target')
    // CORS preflights carry no credentials and change nothing (zot lets them through too).
    if (!target || c.req.method === 'OPTIONS') return next()
    const principal = c.get('principal')
    // No principal: no authentication configured, so there is nobody to challenge.
    const authenticating = principal !== undefined
    if (!authenticating && !options.access.configured) return next()
    const who: Principal = principal ?? anonymousPrincipal()
    const anonymous = isAnonymous(who)

    if (target.kind === 'base') {
      if (anonymous && authenticating) throw unauthorized(c, options, 'authentication required')
      return next()
    }
    // zot's management endpoint is open to all: the UI reads the sign-in methods from it first.
    if (target.kind === 'extension' && target.name === 'mgmt') return next()
    if (target.kind === 'catalog' || target.kind === 'extension') {
      if (anonymous && authenticating && !options.access.anonymousAccess) {
        throw unauthorized(c, options, 'authentication required')
      }
      return next()
    }

    const checks = await requiredChecks(c.req.method, target, {
      tagExists: options.tagExists,
      tags: c.req.queries('tag') ?? [],
    })
    // Policy conditions look at the request; without any, nothing is read from it.
    const facts = options.access.conditional ? requestFacts(c) : undefined
    const context = (reference: string) => facts && { facts, reference }
    for (const { action, reference } of checks) {
      const verdict = options.access.decide(who, action, target.repository, context(reference))
      if (verdict.allowed) continue
      const description = `${action} access to repository ${target.repository} is not allowed`
      // An anonymous request guessed nothing, so its challenge is not delayed: containerd, which
      // skips the ping, would otherwise pay failDelay before every first authenticated request.
      if (anonymous) throw unauthorized(c, options, description)
      // zot's AuthzFailWithReason: the message of the condition that kept a grant from applying.
      return failAfterDelay(options, denied(description, verdict.reason))
    }
    // Create without update: the tags looked new just now, but another push may create them before
    // this body is stored, so the registry checks again under the repository's lock.
    if (
      c.req.method === 'PUT' &&
      target.kind === 'manifest' &&
      !options.access.can(who, 'update', target.repository, context(target.reference))
    ) {
      c.set('tagMustBeNew', true)
    }
    return next()
  })

/**
 * Guards the metrics endpoint with `accessControl.metrics` (`users`, `anonymousPolicy`); mount
 * it on the metrics path only.
 */
export const authorizeMetrics = (options: FailureOptions & { access: AccessControl }) =>
  createMiddleware<AppEnv>(async function authorizeMetrics(c, next) {
    const principal = c.get('principal')
    if (principal === undefined || options.access.canScrapeMetrics(principal)) return next()
    if (isAnonymous(principal)) throw unauthorized(c, options, 'authentication required')
    return failAfterDelay(options, denied('metrics access is not allowed'))
  })
