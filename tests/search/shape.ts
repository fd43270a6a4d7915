/**
 * @module
 * Checks an answer against zot's schema, the way a typed client (zli's Go structs, zui's
 * components) relies on it: every selected field present, nothing else, non-null fields never
 * null, lists as arrays, Int as integers, `Time` as RFC 3339. Returns the problems, by path.
 */
import {
  getNamedType,
  GraphQLEnumType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  Kind,
  parse,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql'
import { searchSchema } from '../../lib/search/schema'

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/

function scalarProblem(type: GraphQLScalarType | GraphQLEnumType, value: unknown): string | undefined {
  if (type instanceof GraphQLEnumType) return type.getValue(String(value)) ? undefined : `not a ${type.name} value`
  const ok = {
    String: typeof value === 'string',
    Int: Number.isInteger(value),
    Boolean: typeof value === 'boolean',
    Time: typeof value === 'string' && RFC3339.test(value),
  }[type.name]
  return ok ? undefined : `${JSON.stringify(value)} is not a ${type.name}`
}

function check(
  type: GraphQLOutputType,
  selections: SelectionSetNode | undefined,
  value: unknown,
  path: string,
  problems: string[],
): void {
  if (type instanceof GraphQLNonNull) {
    if (value === null || value === undefined) problems.push(`${path}: null for non-null ${type}`)
    else check(type.ofType, selections, value, path, problems)
    return
  }
  if (value === null) return
  if (type instanceof GraphQLList) {
    if (!Array.isArray(value)) problems.push(`${path}: not a list`)
    else value.forEach((item, i) => check(type.ofType, selections, item, `${path}[${i}]`, problems))
    return
  }
  if (type instanceof GraphQLScalarType || type instanceof GraphQLEnumType) {
    const problem = scalarProblem(type, value)
    if (problem) problems.push(`${path}: ${problem}`)
    return
  }
  const object = getNamedType(type)
  if (!(object instanceof GraphQLObjectType) || typeof value !== 'object' || !selections) {
    problems.push(`${path}: expected an object of ${String(object)}`)
    return
  }
  const record = value as Record<string, unknown>
  const expected = new Set<string>()
  for (const selection of selections.selections) {
    if (selection.kind !== Kind.FIELD) continue
    const key = selection.alias?.value ?? selection.name.value
    expected.add(key)
    if (selection.name.value === '__typename') continue
    const field = object.getFields()[selection.name.value]
    if (!field) problems.push(`${path}.${key}: not in the schema`)
    else if (!(key in record)) problems.push(`${path}.${key}: missing`)
    else check(field.type, selection.selectionSet, record[key], `${path}.${key}`, problems)
  }
  for (const key of Object.keys(record)) if (!expected.has(key)) problems.push(`${path}.${key}: not selected`)
}

/** Problems of `data` as the answer to `query` (none: it has the schema's shape). */
export function shapeProblems(query: string, data: unknown): string[] {
  const schema = searchSchema()
  const operation = parse(query).definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  )
  if (!operation) return ['no operation']
  const problems: string[] = []
  // __schema answers are introspection, checked by what zli reads from them instead.
  if (operation.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '__schema')) return []
  check(new GraphQLNonNull(schema.getQueryType()!), operation.selectionSet, data, 'data', problems)
  return problems
}
