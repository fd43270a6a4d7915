/**
 * The account and region the ECR helper reads from a registry host (zot's rule, plus the
 * dual-stack form), and the token it decodes.
 */
import { describe, expect, test } from 'bun:test'
import { decodeEcrToken } from '../../../lib/sync/upstream/credential-helpers/ecr'
import { ecrRegistryOf } from '../../../lib/sync/upstream/credential-helpers/ecr-host'

describe('ECR registry hosts', () => {
  test.each([
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', 'us-east-1'],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', 'us-gov-west-1'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
    ['123456789012.dkr-ecr.eu-west-1.on.aws', 'eu-west-1'],
    ['123456789012.dkr.ecr.eu-west-3.amazonaws.com:443', 'eu-west-3'],
  ])('%s is account 123456789012 in %s', (host, region) => {
    expect(ecrRegistryOf(host)).toEqual({ account: '123456789012', region })
  })

  test.each(['ghcr.io', 'registry-1.docker.io', 'public.ecr.aws', '127.0.0.1:5000'])('%s is not ECR', (host) => {
    expect(ecrRegistryOf(host)).toBeUndefined()
  })

  test('the token is base64 user:password; the password may hold colons', () => {
    expect(decodeEcrToken(btoa('AWS:pass:word'))).toEqual({ username: 'AWS', password: 'pass:word' })
    expect(() => decodeEcrToken(btoa('no-colon'))).toThrow('not base64 "user:password"')
  })
})
