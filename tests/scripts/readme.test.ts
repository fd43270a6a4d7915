/**
 * The README's "Try it with curl" block runs as written against a served registry (on a free
 * port instead of 5000), and every result its comments promise — a JSON body, or a single word
 * like `hello` — is in the output. A README command that stops working fails here first.
 */
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { REPOSITORY_ROOT } from '../support/paths'
import { startRegistry } from '../support/server'
import { tempDirectory } from '../support/temp'
import { runToEnd } from '../support/zot-cli'

const readme = await Bun.file(join(REPOSITORY_ROOT, 'README.md')).text()
const block = /## Try it with curl\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? ''

/** The promised result of a line: its comment, when that is JSON or one word. */
const promised = (line: string): string | undefined => {
  const comment = /#\s+(.*)$/.exec(line)?.[1]?.trim()
  return comment && (comment.startsWith('{') || /^\w+$/.test(comment)) ? comment : undefined
}

test('the README curl walk-through runs and gives what its comments say', async () => {
  expect(block).toContain('curl')
  const registry = await startRegistry()
  try {
    const script = block.replaceAll('127.0.0.1:5000', registry.host)
    const { code, out, err } = await runToEnd(['bash', '-euo', 'pipefail', '-c', script], {
      cwd: await tempDirectory('readme'),
    })
    expect(code, err).toBe(0)
    const promises = block
      .split('\n')
      .map(promised)
      .filter((value) => value !== undefined)
    expect(promises.length).toBeGreaterThanOrEqual(3)
    for (const result of promises) expect(out).toContain(result)
    expect(out).toContain('HTTP/1.1 201')
  } finally {
    await registry.stop()
  }
})
