/**
 * @module
 * What access-control `conditions` (lib/auth/policy/conditions.ts) cost per authorization
 * decision, in-process and run by hand: `access.decide` for a policy entry without conditions
 * (the baseline: glob match and list lookups), with a typical condition (a business-hours window
 * on `req.time` or a read-only method; in a named time zone, which cel-js converts with
 * `toLocaleString` at each call, and in UTC), with three conditions including a RE2 `matches` on the
 * user agent, and the worst a client can make an accepted condition cost: a user agent at the cap
 * (MAX_USER_AGENT) through `matches` and `contains`, and 500 groups through a literal-list `exists`.
 * Also the cost of compiling a condition (paid at load and each reload). Decisions are timed in
 * batches (a single one is below the timer's resolution); printed as microseconds per decision.
 *
 *   bun scripts/bench/condition-cost.ts [--decisions 200000]
 */
import { parseArgs } from 'node:util'
import { createAccessControl } from '../../lib/auth/policy/access-control'
import { compileCondition } from '../../lib/auth/policy/condition-compiler'
import { MAX_USER_AGENT, type RequestFacts } from '../../lib/auth/policy/conditions'
import { testConfig } from '../../tests/support/config'
import type { Principal } from '../../lib/http/context'

const { values } = parseArgs({ options: { decisions: { type: 'string', default: '200000' } } })
const decisions = Number(values.decisions)
const BATCH = 1000

const TYPICAL =
  '(req.time.getHours("Europe/Berlin") >= 8 && req.time.getHours("Europe/Berlin") < 18) || req.method in ["GET", "HEAD"]'
const TYPICAL_UTC = '(req.time.getHours() >= 7 && req.time.getHours() < 17) || req.method in ["GET", "HEAD"]'
const THREE = [
  TYPICAL,
  'req.action != "update" || req.referenceType == "digest"',
  'req.action == "read" || req.userAgent.matches("^(containerd|skopeo)/[0-9.]+")',
]
const WORST = [
  'req.userAgent.matches("(a|b)*c$") || !req.userAgent.contains("zzz")',
  '["ci", "ops", "release"].exists(g, g in req.user.groups)',
]

function accessWith(conditions: string[]) {
  const accessControl = {
    repositories: {
      'team/**': {
        policies: [
          {
            users: ['alice'],
            actions: ['read', 'create', 'update'],
            conditions: conditions.map((expression) => ({ expression })),
          },
        ],
      },
    },
  }
  const options = testConfig({ http: { accessControl } }).http.accessControl
  return createAccessControl(options)
}

function measure(label: string, run: () => unknown, times = decisions): void {
  for (let index = 0; index < BATCH; index++) run()
  const batches: number[] = []
  for (let done = 0; done < times; done += BATCH) {
    const start = Bun.nanoseconds()
    for (let index = 0; index < BATCH; index++) run()
    batches.push((Bun.nanoseconds() - start) / 1e3 / BATCH)
  }
  batches.sort((a, b) => a - b)
  const mean = batches.reduce((sum, value) => sum + value, 0) / batches.length
  const at = (q: number) => batches[Math.min(batches.length - 1, Math.floor(q * batches.length))]!.toFixed(2)
  console.log(`${label.padEnd(58)} n=${times}  mean ${mean.toFixed(2)} µs  batch p50 ${at(0.5)} µs  p99 ${at(0.99)} µs`)
}

const alice: Principal = { username: 'alice', groups: ['dev'], method: 'htpasswd' }
const facts: RequestFacts = {
  method: 'GET',
  userAgent: 'containerd/2.0.4',
  clientIp: '192.0.2.7',
  forwardedFor: [],
  tls: { enabled: true, version: '' },
}
const request = { facts, reference: 'v1.2.3' }

const unconditional = accessWith([])
const typical = accessWith([TYPICAL])
const typicalUtc = accessWith([TYPICAL_UTC])
const three = accessWith(THREE)
const worst = accessWith(WORST)
measure('no conditions (baseline)', () => unconditional.decide(alice, 'read', 'team/app', request))
measure('typical: business hours or read-only method', () => typical.decide(alice, 'read', 'team/app', request))
measure('the same window in UTC (no time-zone conversion)', () => typicalUtc.decide(alice, 'read', 'team/app', request))
measure('three conditions (window, immutable tags, RE2 user agent)', () =>
  three.decide(alice, 'create', 'team/app', request),
)
const hostile = {
  facts: { ...facts, userAgent: 'ab'.repeat(MAX_USER_AGENT).slice(0, MAX_USER_AGENT) },
  reference: 'v1',
}
const manyGroups: Principal = { ...alice, groups: Array.from({ length: 500 }, (_, index) => `group-${index}`) }
measure(`worst: ${MAX_USER_AGENT}-char user agent, 500 groups`, () =>
  worst.decide(manyGroups, 'read', 'team/app', hostile),
)
measure(
  'compiling the typical condition (load, reload)',
  () => compileCondition({ expression: TYPICAL, message: '' }, 'key'),
  Math.max(BATCH, decisions / 100),
)
