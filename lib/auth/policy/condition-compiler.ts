/**
 * @module
 * Compiling zot's policy `conditions` (conditions.ts evaluates them). The one module of access
 * control that loads the CEL evaluator, required only when a config has conditions: idle RSS
 * grew by ~3 MiB when every start built the environment below.
 */
import { boundedEnvironment, CelCompileError, compileBounded } from '../cel/bounded-cel'
import type { CompiledCondition } from './conditions'

/** `req` as zot documents it (pkg/api/config/config.go, type Condition). */
export const REQ_SCHEMA = {
  time: 'google.protobuf.Timestamp',
  method: 'string',
  userAgent: 'string',
  action: 'string',
  repository: 'string',
  reference: 'string',
  referenceType: 'string',
  tag: 'string',
  digest: 'string',
  user: { username: 'string', groups: 'list<string>' },
  auth: { anonymous: 'bool', admin: 'bool' },
  client: { ip: 'string', forwardedFor: 'list<string>' },
  tls: { enabled: 'bool', version: 'string' },
  claims: 'map<string, dyn>',
} as const

const environment = boundedEnvironment().registerVariable({ name: 'req', schema: REQ_SCHEMA })

/** A condition that does not compile: `key` is the expression's config path. */
export class ConditionError extends Error {
  override name = 'ConditionError'
  constructor(
    readonly key: string,
    readonly expression: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Compiles one condition.
 *
 * @param key the config path of its `expression`
 * @throws ConditionError when it does not parse, names something `req` lacks, is not a bool, or is too costly
 */
export function compileCondition(condition: { expression: string; message: string }, key: string): CompiledCondition {
  try {
    // dyn: a value from `req.claims`, whose result is checked when evaluated (zot checks every result so).
    return { key, ...condition, program: compileBounded(environment, condition.expression, 'bool or dyn') }
  } catch (error) {
    if (error instanceof CelCompileError) throw new ConditionError(key, condition.expression, error.message)
    throw error
  }
}
