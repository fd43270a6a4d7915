/**
 * @module
 * Writes docs/config.md from lib/config. Run after changing the schema or a rule:
 * `bun scripts/gen-config-docs.ts` (tests/config/schema-outputs.test.ts fails while the docs
 * are stale).
 */
import { renderConfigDocs } from '../lib/config/outputs/docs'

const target = new URL('../docs/config.md', import.meta.url)
await Bun.write(target, renderConfigDocs())
console.log(`wrote ${target.pathname}`)
