/**
 * @module
 * zot's `claimMapping` for OIDC workload identity (docs/auth.md "Workload identity"): CEL
 * expressions over the verified token's `claims` (and `vars`, the variables extracted so far)
 * that extract variables, validate the token, and map it to a user name and groups. Evaluation
 * order and results are zot's: variables in order, then every validation (a false one refuses
 * the token with its message), then `username` (a string; default `claims.iss + '/' + claims.sub`),
 * then `groups` (a list of strings; none by default).
 *
 * The claims are the token holder's: expressions compile with the cost bounds of
 * lib/auth/cel/bounded-cel.ts, and the caller caps the token's size.
 */
import { boundedEnvironment, CelCompileError, compileBounded, firstLine } from '../cel/bounded-cel'

/** zot's default user name: unique across issuers (two clusters may have the same subject). */
export const DEFAULT_USERNAME_EXPRESSION = "claims.iss + '/' + claims.sub"

export interface ClaimMappingConfig {
  variables: readonly { name: string; expression: string }[]
  validations: readonly { expression: string; message: string }[]
  username: string
  groups: string
}

export interface ClaimIdentity {
  username: string
  groups: string[]
}

/** A claim mapping that does not compile; `key` is relative to the issuer's entry. */
export class ClaimMappingError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message)
  }
}

const environment = boundedEnvironment().registerVariable('claims', 'map').registerVariable('vars', 'map')

type Evaluate = (context: { claims: Record<string, unknown>; vars: Record<string, unknown> }) => unknown

/** Parses and type-checks one expression; with `type` 'bool' its result type must be bool. */
function compile(key: string, expression: string, type?: 'bool'): Evaluate {
  try {
    // zot compiles validations with a bool output type: `claims.verified` alone is dyn and refused there too.
    return compileBounded(environment, expression, type)
  } catch (error) {
    if (error instanceof CelCompileError) throw new ClaimMappingError(key, error.message)
    throw error
  }
}

/** The compiled claim mapping of one issuer. */
export interface ClaimMapping {
  /** The identity the claims map to, or why the token is refused. */
  identify(claims: Record<string, unknown>): ClaimIdentity | string
}

/**
 * Compiles a `claimMapping` (absent: zot's defaults).
 *
 * @throws ClaimMappingError for an expression that does not parse, type-check, or is too costly
 * @example
 * const mapping = compileClaimMapping({ variables: [], validations: [], username: 'claims.sub', groups: '' })
 * mapping.identify({ sub: 'system:serviceaccount:flux-system:source-controller' })
 */
export function compileClaimMapping(config: ClaimMappingConfig | undefined): ClaimMapping {
  const variables = (config?.variables ?? []).map((variable, index) => {
    if (variable.name === '') throw new ClaimMappingError(`claimMapping.variables[${index}].name`, 'must not be empty')
    return {
      name: variable.name,
      evaluate: compile(`claimMapping.variables[${index}].expression`, variable.expression),
    }
  })
  const validations = (config?.validations ?? []).map((validation, index) => {
    const key = `claimMapping.validations[${index}]`
    if (validation.message === '') throw new ClaimMappingError(`${key}.message`, 'a validation needs a message')
    return { message: validation.message, evaluate: compile(`${key}.expression`, validation.expression, 'bool') }
  })
  const username = compile('claimMapping.username', config?.username || DEFAULT_USERNAME_EXPRESSION)
  const groups = config?.groups ? compile('claimMapping.groups', config.groups) : undefined

  return {
    identify(claims) {
      const vars: Record<string, unknown> = {}
      const context = { claims, vars }
      try {
        for (const variable of variables) vars[variable.name] = variable.evaluate(context)
        for (const validation of validations) {
          if (validation.evaluate(context) !== true) return `claim validation failed: ${validation.message}`
        }
        const name = username(context)
        if (typeof name !== 'string') return 'the username expression did not yield a string'
        const list = groups ? groups(context) : []
        if (!Array.isArray(list) || !list.every((group) => typeof group === 'string')) {
          return 'the groups expression did not yield a list of strings'
        }
        return { username: name, groups: list }
      } catch (error) {
        // A missing claim is an evaluation error in CEL, as in zot: the token is refused.
        return `claim mapping failed: ${firstLine(error)}`
      }
    },
  }
}
