/**
 * @module
 * The AWS account and region of an ECR registry host, `<account>.dkr.ecr.<region>.amazonaws.com`,
 * read the way zot reads them (`extractAccountAndRegion`): the first and fourth dot-separated
 * labels of a host with at least six (also `ecr-fips` and `.amazonaws.com.cn`). Better than zot,
 * the dual-stack form `<account>.dkr-ecr.<region>.on.aws` is read too. Kept apart from `ecr.ts`
 * so the config check can use it without loading the AWS SDK.
 */

export interface EcrRegistry {
  account: string
  region: string
}

/** The account and region of `host` (a port is ignored), or undefined when it is not ECR's form. */
export function ecrRegistryOf(host: string): EcrRegistry | undefined {
  const name = host.replace(/:\d+$/, '')
  const dualStack = /^([^.]+)\.dkr-ecr(?:-fips)?\.([^.]+)\.on\.aws$/.exec(name)
  if (dualStack) return { account: dualStack[1]!, region: dualStack[2]! }
  const labels = name.split('.')
  if (labels.length < 6 || !labels[0] || !labels[3]) return undefined
  return { account: labels[0], region: labels[3] }
}

export const ECR_HOST_FORM = '<account>.dkr.ecr.<region>.amazonaws.com'
