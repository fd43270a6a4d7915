/**
 * @module
 * A small Amazon ECR API endpoint for the sync credential-helper tests: GetAuthorizationToken
 * over AWS JSON 1.1 (`X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken`),
 * SigV4-checked by aws-json-endpoint.ts, answering `authorizationData` with the base64
 * `AWS:<password>` token the test chose, its `expiresAt` (epoch seconds) `lifetimeSeconds` from
 * now (ECR's is 12 hours), and the `proxyEndpoint` of the account. Counts the tokens it handed out
 * per registry id and notes when.
 */
import { type AwsCredentials, type AwsJsonEndpoint, awsError, startAwsJsonEndpoint } from './aws-json-endpoint'

export interface EcrEndpoint extends AwsJsonEndpoint {
  /** The password handed out in the token. */
  password: string
  /** Validity of the tokens handed out from now on. */
  lifetimeSeconds: number
  /** Tokens handed out, per registry id asked for. */
  tokens(registryId: string): number
  /** When each token was handed out (epoch ms). */
  issued: number[]
}

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken'

export function startEcr(credentials: AwsCredentials, password: string): EcrEndpoint {
  const counts = new Map<string, number>()
  const issued: number[] = []
  const endpoint = startAwsJsonEndpoint({
    credentials,
    signingName: 'ecr',
    endpointVariable: 'AWS_ENDPOINT_URL_ECR',
    operations: {
      [TARGET]: ({ registryIds }) => {
        const ids = Array.isArray(registryIds) ? registryIds.map(String) : ['123456789012']
        if (ids.some((id) => !/^\d{12}$/.test(id)))
          return awsError(400, 'InvalidParameterException', 'registryIds must be 12-digit account ids')
        return {
          authorizationData: ids.map((id) => {
            counts.set(id, (counts.get(id) ?? 0) + 1)
            issued.push(Date.now())
            return {
              authorizationToken: Buffer.from(`AWS:${ecr.password}`).toString('base64'),
              expiresAt: Date.now() / 1000 + ecr.lifetimeSeconds,
              proxyEndpoint: `https://${id}.dkr.ecr.${credentials.region}.amazonaws.com`,
            }
          }),
        }
      },
    },
  })
  const ecr: EcrEndpoint = Object.assign(endpoint, {
    password,
    lifetimeSeconds: 12 * 3600,
    tokens: (registryId: string) => counts.get(registryId) ?? 0,
    issued,
  })
  return ecr
}
