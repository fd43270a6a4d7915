/**
 * @module
 * What an OIDC workload token (`http.auth.bearer.oidc`) costs per request, in-process and run by
 * hand: the signature check against the issuer's cached JWKS plus the claim mapping, with zot's
 * default mapping and with a Kubernetes-style CEL mapping (a variable, a validation, groups);
 * then the worst a token holder can make an accepted mapping cost: a 12 KiB token (the cap) whose
 * groups claim is as long as fits, through a filter over it. The issuer is
 * tests/support/counterparts/oidc-issuer.ts on 127.0.0.1; its first request (discovery and JWKS) is excluded.
 *
 *   bun scripts/bench/workload-token-cost.ts [--rounds 2000]
 */
import { parseArgs } from 'node:util'
import { compileClaimMapping } from '../../lib/auth/bearer/cel-claims'
import { workloadIdentity } from '../../lib/auth/bearer/oidc-workload'
import { startOidcIssuer } from '../../tests/support/counterparts/oidc-issuer'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2000' } } })
const rounds = Number(values.rounds)

function timed(label: string, samples: number[]): void {
  samples.sort((a, b) => a - b)
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(3)
  const mean = (samples.reduce((sum, value) => sum + value, 0) / samples.length).toFixed(3)
  console.log(`${label.padEnd(52)} n=${samples.length}  mean ${mean} ms  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`)
}

async function measure(label: string, run: () => unknown | Promise<unknown>): Promise<void> {
  await run()
  const samples: number[] = []
  for (let index = 0; index < rounds; index++) {
    const start = Bun.nanoseconds()
    await run()
    samples.push((Bun.nanoseconds() - start) / 1e6)
  }
  timed(label, samples)
}

const issuer = await startOidcIssuer({ manualStop: true })
try {
  const k8sMapping = {
    variables: [{ name: 'ns', expression: "claims['kubernetes.io'].namespace" }],
    validations: [{ expression: "vars.ns != 'kube-system'", message: 'not kube-system' }],
    username: 'claims.sub',
    groups: "['ns-' + vars.ns]",
  }
  const claims = {
    sub: 'system:serviceaccount:flux-system:source-controller',
    aud: ['zot'],
    'kubernetes.io': { namespace: 'flux-system', serviceaccount: { name: 'source-controller' } },
  }
  const token = await issuer.sign(claims)
  const base = { issuer: issuer.issuer, audiences: ['zot'], skipIssuerVerification: false }
  const defaults = workloadIdentity([base])
  const mapped = workloadIdentity([{ ...base, claimMapping: k8sMapping }])
  console.log(`token: ${token.length} bytes`)
  await measure('verify + default mapping (iss/sub)', async () => {
    if ((await defaults(token)).kind !== 'identity') throw new Error('refused')
  })
  await measure('verify + Kubernetes CEL mapping', async () => {
    if ((await mapped(token)).kind !== 'identity') throw new Error('refused')
  })

  // The largest groups claim a 12 KiB token can carry: one-character groups, "a", 4 bytes each in
  // JSON, 4/3 of that in base64url.
  const groups = Array.from({ length: 2150 }, (_, index) => String.fromCharCode(97 + (index % 26)))
  const big = await issuer.sign({ ...claims, groups })
  console.log(`large token: ${big.length} bytes, ${groups.length} groups`)
  const heavy = compileClaimMapping({
    variables: [],
    validations: [],
    username: 'claims.sub',
    groups: "claims.groups.filter(g, g in ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']).map(g, 'team-' + g)",
  })
  const { payload } = { payload: JSON.parse(Buffer.from(big.split('.')[1]!, 'base64url').toString()) }
  await measure('CEL only: filter+map over 2150 groups (worst case)', () => {
    if (typeof heavy.identify(payload) === 'string') throw new Error('refused')
  })
} finally {
  issuer.stop()
}
