/**
 * What a config does not use is never loaded (docs/performance.md, "Idle memory"): the AWS
 * clients, the CEL evaluator, LDAP, NATS, OpenID and search's graphql are imported only when configured, so a plain
 * registry starts without them (each costs megabytes of RSS). Checked in a process of its own,
 * which assembles the app as `serve` does and lists the modules it loaded.
 */
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { REPOSITORY_ROOT } from '../support/paths'
import { tempDirectory } from '../support/temp'
import { runToEnd } from '../support/zot-cli'

const ONLY_WHEN_CONFIGURED = [
  '@aws-sdk/',
  '@marcbachmann/cel-js',
  'ldapts',
  '@nats-io/',
  'oauth4webapi',
  'jose',
  'graphql',
]

async function loadedModules(config: Record<string, unknown>): Promise<string[]> {
  const script = join(REPOSITORY_ROOT, 'tests/server/support/loaded-modules.ts')
  const { code, out, err } = await runToEnd([process.execPath, script, JSON.stringify(config)])
  expect(code, err).toBe(0)
  return JSON.parse(out) as string[]
}

const heavy = (modules: string[]) =>
  ONLY_WHEN_CONFIGURED.filter((name) => modules.some((path) => path.includes(`node_modules/${name}`)))

test('a registry with access control but none of those features loads none of their libraries', async () => {
  const modules = await loadedModules({
    http: {
      address: '127.0.0.1',
      port: 5000,
      accessControl: { repositories: { '**': { anonymousPolicy: ['read'], policies: [] } } },
    },
  })
  expect(modules.some((path) => path.includes('lib/auth/policy/access-control'))).toBe(true)
  expect(heavy(modules)).toEqual([])
})

test('a policy condition loads the CEL evaluator (the check above can see a loaded library)', async () => {
  const htpasswd = join(await tempDirectory('lazy-modules'), 'htpasswd')
  await Bun.write(htpasswd, `a:${await Bun.password.hash('a', { algorithm: 'bcrypt', cost: 4 })}\n`)
  const modules = await loadedModules({
    http: {
      address: '127.0.0.1',
      port: 5000,
      auth: { htpasswd: { path: htpasswd } },
      accessControl: {
        repositories: {
          '**': {
            policies: [{ users: ['a'], actions: ['read'], conditions: [{ expression: 'req.method == "GET"' }] }],
          },
        },
      },
    },
  })
  // (A login method loads the logins module, OpenID's client with it.)
  expect(heavy(modules)).toContain('@marcbachmann/cel-js')
  expect(heavy(modules)).not.toContain('@aws-sdk/')
})
