/**
 * @module
 * zot's search schema, verbatim from zot's `pkg/extensions/search/schema.graphql` (the contract
 * `zli` and zui are built against), parsed once.
 */
import { buildSchema, type GraphQLSchema } from 'graphql'
import schemaText from './schema.graphql' with { type: 'text' }

let built: GraphQLSchema | undefined

/** The parsed schema (built on first use: most servers never serve a search). */
export function searchSchema(): GraphQLSchema {
  built ??= buildSchema(schemaText)
  return built
}
