/**
 * The README's "Dependencies and why" table names every runtime dependency of package.json, and
 * nothing that is no longer one: a dependency added or dropped without saying why fails here.
 */
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { REPOSITORY_ROOT } from '../support/paths'

const readme = await Bun.file(join(REPOSITORY_ROOT, 'README.md')).text()
const manifest = (await Bun.file(join(REPOSITORY_ROOT, 'package.json')).json()) as {
  dependencies: Record<string, string>
}

test('the dependency table lists exactly the runtime dependencies', () => {
  const section = /## Dependencies and why\n([\s\S]*?)\n\n/.exec(readme)?.[1] ?? ''
  const rows = section.split('\n').filter((line) => line.startsWith('| `'))
  const named = rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((match) => match[1]!))
  expect(named.sort()).toEqual(Object.keys(manifest.dependencies).sort())
})
