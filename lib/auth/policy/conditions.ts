/**
 * @module
 * zot's policy `conditions` (zot v2.1.17, docs/auth.md "Conditions"): CEL expressions over a
 * `req` value describing the request, all of which must be true for a policy entry to grant.
 * Compiled once per configuration (at `verify-config`, `serve` and each reload) by
 * condition-compiler.ts, which alone loads the CEL evaluator: a config without conditions never
 * loads it (~3 MiB of RSS at start); evaluated here per authorization decision.
 *
 * Where this differs from zot, on purpose:
 * - `req` is declared field by field, so `req.methd` or `req.user.name` is a config error here,
 *   not a condition that fails at every request (zot declares `req` as a map of dyn); the same
 *   declaration types the result, so `req.method` alone (a string) is refused at load, where zot
 *   only notices when evaluating (a value from `req.claims` is dyn, checked when evaluated).
 * - Expressions get the cost bounds of lib/auth/cel/bounded-cel.ts (no `matches` with a computed
 *   pattern, no nested iteration over request data), and the inputs a client sends are capped:
 *   the user agent at MAX_USER_AGENT characters, `forwardedFor` at MAX_FORWARDED entries.
 * - `req.claims` holds an OIDC workload token's claims, as in zot, and is empty for other logins.
 */
import type { AccessControlConfig } from '../../config'
import { entryPath, itemPath } from '../../config/findings'
import type { Action, Principal } from '../../http/context'
import type { CelProgram } from '../cel/bounded-cel'
import { firstLine } from '../cel/first-line'
import type { REQ_SCHEMA } from './condition-compiler'
import { claimsOf, isAnonymous } from './principal'

/** Longer user agents are cut here before a condition sees them (browsers send ~150 characters). */
export const MAX_USER_AGENT = 1024
/** More X-Forwarded-For entries than this are dropped from the right (a proxy chain is a handful). */
export const MAX_FORWARDED = 32

/** What a condition may learn about the request besides the decision itself. */
export interface RequestFacts {
  method: string
  userAgent: string
  /** The TCP peer's address, as zot's `RemoteAddr` without its port; "" when unknown. */
  clientIp: string
  /** X-Forwarded-For, left to right, as the client (or its proxies) sent it: untrusted. */
  forwardedFor: string[]
  tls: { enabled: boolean; version: string }
}

/** One authorization decision a condition judges. */
export interface Decision {
  facts: RequestFacts
  principal: Principal
  action: Action
  repository: string
  /** The manifest route's tag or digest; "" on other routes. */
  reference: string
  /** The principal is named by `adminPolicy` (users or groups), whatever its conditions say. */
  admin: boolean
}

/** `req` as conditions see it: the fields of REQ_SCHEMA (condition-compiler.ts). */
export type Req = Record<keyof typeof REQ_SCHEMA, unknown>

export interface CompiledCondition {
  /** Where the expression is in the config, for logs. */
  key: string
  expression: string
  message: string
  program: CelProgram<{ req: Req }>
}

type Policy = AccessControlConfig['adminPolicy']

/** Calls `visit` for every policy entry of the config, with its config path. */
export function forEachPolicy(options: AccessControlConfig, visit: (policy: Policy, path: string) => void): void {
  for (const [pattern, group] of Object.entries(options.repositories)) {
    const groupPath = entryPath('http.accessControl.repositories', pattern)
    group.policies.forEach((policy, index) => visit(policy, itemPath(`${groupPath}.policies`, index)))
  }
  visit(options.adminPolicy, 'http.accessControl.adminPolicy')
}

/** The `conditions[i].expression` path under a policy entry's path. */
export const conditionKey = (policyPath: string, index: number): string =>
  `${itemPath(`${policyPath}.conditions`, index)}.expression`

const tagOrDigest = (reference: string) =>
  reference === ''
    ? { referenceType: '', tag: '', digest: '' }
    : reference.includes(':')
      ? { referenceType: 'digest', tag: '', digest: reference }
      : { referenceType: 'tag', tag: reference, digest: '' }

/** `req` for one decision: fresh plain objects of fixed keys, nothing of the client's as a key. */
function requestValue(decision: Decision): Req {
  const { facts, principal } = decision
  return {
    time: new Date(),
    method: facts.method,
    userAgent: facts.userAgent,
    action: decision.action,
    repository: decision.repository,
    reference: decision.reference,
    ...tagOrDigest(decision.reference),
    user: { username: principal.username, groups: principal.groups },
    auth: { anonymous: isAnonymous(principal), admin: decision.admin },
    client: { ip: facts.clientIp, forwardedFor: facts.forwardedFor },
    tls: facts.tls,
    // Plain JSON from the token: cel-js reads own keys only (`req.claims.constructor` is no such key).
    claims: claimsOf(principal),
  }
}

/** Why a condition did not hold: its message (may be ""), or an evaluation error. */
export type Unmet = { reason: string } | { failed: CompiledCondition; error: string }

/**
 * Whether every condition holds for the decision (true for none). The first that is false, or
 * fails to evaluate (a missing list element, a non-bool dyn value), ends the evaluation.
 */
export function conditionsHold(conditions: readonly CompiledCondition[], decision: Decision): true | Unmet {
  if (conditions.length === 0) return true
  const variables = { req: requestValue(decision) }
  for (const condition of conditions) {
    let result: unknown
    try {
      result = condition.program(variables)
    } catch (error) {
      return { failed: condition, error: firstLine(error) ?? 'evaluation failed' }
    }
    if (result === false) return { reason: condition.message }
    if (result !== true) return { failed: condition, error: `the result is not a bool: ${typeof result}` }
  }
  return true
}
