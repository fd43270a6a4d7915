/**
 * @module
 * Bounds on what one GraphQL request may ask, checked before validation and execution:
 * zui and zli send one root field with a few dozen fields, while aliases and fragments could
 * otherwise multiply a 64 KiB query into millions of resolutions (each root field scans the
 * index). Fragments are expanded with memoised costs, so the check itself is linear.
 */
import { GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql'

/** Root fields (aliases included) per request. */
export const MAX_ROOT_FIELDS = 10
/** Fields per request, fragments expanded. */
export const MAX_FIELDS = 1_000

/** The first bound an operation of the document breaks (all operations: any may be asked for). */
export function costProblem(document: DocumentNode): GraphQLError | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  const memo = new Map<string, { fields: number; roots: number }>()
  const visiting = new Set<string>()

  /** Fields under a selection set (saturating at the cap), and how many are at its top. */
  const cost = (set: SelectionSetNode): { fields: number; roots: number } => {
    let fields = 0
    let roots = 0
    for (const selection of set.selections) {
      let part: { fields: number; roots: number }
      if (selection.kind === Kind.FIELD) {
        part = { fields: 1 + (selection.selectionSet ? cost(selection.selectionSet).fields : 0), roots: 1 }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        part = cost(selection.selectionSet)
      } else {
        const name = selection.name.value
        const fragment = fragments.get(name)
        const known = memo.get(name)
        if (known) part = known
        // A fragment spreading itself (or unknown) costs nothing here; validation refuses it next.
        else if (!fragment || visiting.has(name)) part = { fields: 0, roots: 0 }
        else {
          visiting.add(name)
          part = cost(fragment.selectionSet)
          visiting.delete(name)
          memo.set(name, part)
        }
      }
      fields = Math.min(MAX_FIELDS + 1, fields + part.fields)
      roots = Math.min(MAX_ROOT_FIELDS + 1, roots + part.roots)
    }
    return { fields, roots }
  }

  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue
    const { fields, roots } = cost(definition.selectionSet)
    if (roots > MAX_ROOT_FIELDS) return new GraphQLError(`a request may ask for at most ${MAX_ROOT_FIELDS} root fields`)
    if (fields > MAX_FIELDS) return new GraphQLError(`a request may select at most ${MAX_FIELDS} fields`)
  }
  return undefined
}
