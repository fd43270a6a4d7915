/**
 * @module
 * Every cross-field rule, grouped by the section it checks (the grouping the docs show).
 */
import { authRules } from './auth'
import { extensionRules } from './extensions'
import { httpRules } from './http'
import type { Rule } from './rule'
import { storageRules } from './storage'
import { subPathRules } from './sub-paths'
import { syncRules } from './sync'

export const RULE_GROUPS: readonly { section: string; rules: readonly Rule[] }[] = [
  { section: 'storage', rules: [...storageRules, ...subPathRules] },
  { section: 'http', rules: httpRules },
  { section: 'authentication and access control', rules: authRules },
  { section: 'sync', rules: syncRules },
  { section: 'other extensions and cluster', rules: extensionRules },
]

export const ALL_RULES: readonly Rule[] = RULE_GROUPS.flatMap((group) => group.rules)

export { runRules, type Rule } from './rule'
