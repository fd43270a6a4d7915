/**
 * @module
 * Checks of `extensions.sync`.
 */
import { merge, type Json } from './helpers'
import { describeRuleCases, type RuleCase, s3, R0, registry } from './rule-cases'

const oauth2 = (helper: Json) => registry({ credentialHelper: 'oauth2', oauth2CredentialHelper: helper })

const CASES: RuleCase[] = [
  {
    title: 'registry without URLs',
    patch: { extensions: { sync: { registries: [{ urls: [] }] } } },
    path: `${R0}.urls`,
    message: 'at least one URL',
  },
  {
    title: 'URL without scheme',
    patch: registry({ urls: ['ghcr.io'] }),
    path: `${R0}.urls[0]`,
    message: 'absolute http(s) URL',
    fix: '"https://ghcr.io"',
  },
  {
    title: 'negative manifest check interval',
    patch: registry({ manifestCheckInterval: '-1s' }),
    path: `${R0}.manifestCheckInterval`,
    message: 'must not be negative',
  },
  {
    title: 'manifest check interval without on-demand',
    patch: registry({ onDemand: false, manifestCheckInterval: '5m' }),
    path: `${R0}.manifestCheckInterval`,
    message: 'only applies to on-demand sync',
  },
  {
    title: 'retries without delay',
    patch: registry({ maxRetries: 3 }),
    path: `${R0}.retryDelay`,
    message: 'maxRetries needs a retryDelay',
  },
  {
    title: 'max retry delay below delay',
    patch: registry({ retryDelay: '5m', maxRetryDelay: '1m' }),
    path: `${R0}.maxRetryDelay`,
    message: 'smaller than retryDelay',
  },
  {
    title: 'max retry delay alone',
    patch: registry({ maxRetryDelay: '1m' }),
    path: `${R0}.maxRetryDelay`,
    message: 'needs retryDelay',
  },
  {
    title: 'no concurrency',
    patch: registry({ reqConcurrent: 0 }),
    path: `${R0}.reqConcurrent`,
    message: 'at least 1',
  },
  {
    title: 'zero rate',
    patch: registry({ reqPerSec: 0 }),
    path: `${R0}.reqPerSec`,
    message: 'positive number',
  },
  {
    title: 'no idle connections',
    patch: registry({ maxIdleConnsPerHost: 0 }),
    path: `${R0}.maxIdleConnsPerHost`,
    message: 'at least 1',
  },
  {
    title: 'content glob',
    patch: registry({ content: [{ prefix: 'library/[' }] }),
    path: `${R0}.content[0].prefix`,
    message: 'character class',
    fix: 'doublestar syntax (*, **, ?, [abc], {a,b}); a literal [ ] { } or \\ needs a \\ before it',
  },
  {
    title: 'lookahead in tag regex',
    patch: registry({ content: [{ prefix: '**', tags: { regex: '^v(?!0)' } }] }),
    path: `${R0}.content[0].tags.regex`,
    message: 'no lookahead',
  },
  {
    title: 'strip prefix to the root',
    patch: registry({ content: [{ prefix: 'repo', destination: '/', stripPrefix: true }] }),
    path: `${R0}.content[0].stripPrefix`,
    message: 'land at the root',
  },
  {
    title: 'oauth2 helper missing',
    patch: registry({ credentialHelper: 'oauth2' }),
    path: `${R0}.oauth2CredentialHelper`,
    message: 'needs an oauth2CredentialHelper section',
  },
  {
    title: 'oauth2 with two assertion sources',
    patch: oauth2({ tokenURL: 'https://sts', assertionFile: '/a', signingFile: '/b' }),
    path: `${R0}.oauth2CredentialHelper`,
    message: 'only one of assertionFile and signingFile',
  },
  {
    title: 'oauth2 exchange-only field',
    patch: oauth2({ tokenURL: 'https://sts', assertionFile: '/a', audience: 'x' }),
    path: `${R0}.oauth2CredentialHelper`,
    message: '`audience` only apply to the token-exchange grant',
  },
  {
    title: 'oauth2 exchange without audience',
    patch: oauth2({
      tokenURL: 'https://sts',
      assertionFile: '/a',
      grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
    }),
    path: `${R0}.oauth2CredentialHelper.audience`,
    message: 'needs an audience',
  },
  {
    title: 'oauth2 without tokenURL',
    patch: oauth2({ assertionFile: '/a' }),
    path: `${R0}.oauth2CredentialHelper.tokenURL`,
    message: 'needs a tokenURL',
    fix: /token endpoint/,
  },
  {
    title: 'ecr helper on a URL that is not an ECR host',
    patch: registry({ urls: ['https://ghcr.io'], credentialHelper: 'ecr' }),
    path: `${R0}.urls[0]`,
    message: 'reads account and region from <account>.dkr.ecr.<region>.amazonaws.com',
    severity: 'warning',
    fix: /ECR URL/,
  },
  {
    title: 'oauth2 with a grant type it does not know',
    patch: oauth2({ tokenURL: 'https://sts', assertionFile: '/a', grantType: 'password' }),
    path: `${R0}.oauth2CredentialHelper.grantType`,
    message: 'not a grant the oauth2 helper knows',
    severity: 'warning',
    fix: /client_credentials/,
  },
  {
    title: 'oauth2 options without the oauth2 helper',
    patch: registry({ credentialHelper: 'gcp', oauth2CredentialHelper: { tokenURL: 'https://idp/token' } }),
    path: `${R0}.oauth2CredentialHelper`,
    message: 'only used with credentialHelper "oauth2"',
    severity: 'warning',
  },
  {
    title: 'sync on S3 without download dir',
    patch: merge(registry({}), { storage: { dedupe: false, storageDriver: s3 } }),
    path: 'extensions.sync.downloadDir',
    message: 'no directory is set',
  },
  {
    title: 'polling without content',
    patch: registry({ pollInterval: '1h' }),
    path: `${R0}.pollInterval`,
    message: 'only runs for registries with content',
    severity: 'warning',
  },
  {
    title: 'sync and retention on the same repositories',
    patch: merge(registry({ content: [{ prefix: '**', destination: '/ghcr.io' }] }), {
      storage: { retention: { policies: [{ repositories: ['ghcr.io/**'] }] } },
    }),
    path: `${R0}.content[0]`,
    message: 'a retention policy also applies to "ghcr.io/**"',
    severity: 'warning',
  },
]

describeRuleCases('sync rules', CASES)
