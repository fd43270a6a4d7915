/**
 * @module
 * The whole configuration schema (docs/zot-compatibility.md section 2) and the `Config` type inferred
 * from it.
 */
import { availableParallelism } from 'node:os'
import { int, list, obj, oneOf, path, str, type Infer } from './builder'
import { extensions } from './extensions'
import { http } from './http'
import { storage } from './storage'
// The distribution-spec version zot reports replaces any configured value (lib/version.ts owns it).
import { DIST_SPEC_VERSION } from '../../version'

export { type S3DriverConfig, s3DriverConfig } from './storage'
export { DIST_SPEC_VERSION }

const buildInfo = (what: string) => str({ description: `${what}; accepted for compatibility, ignored.` })

export const configSchema = obj(
  { description: 'zot configuration.' },
  {
    distSpecVersion: str({
      description: 'Distribution-spec version; any other value is replaced (with a warning).',
      default: DIST_SPEC_VERSION,
      status: 'implemented',
    }),
    goVersion: buildInfo('Build information'),
    commit: buildInfo('Build information'),
    releaseTag: buildInfo('Build information'),
    binaryType: buildInfo('Build information'),
    storage,
    http,
    log: obj(
      { description: 'Logging.' },
      {
        level: oneOf(['debug', 'info', 'warn', 'error', 'fatal'], {
          description: 'Least severe level logged (`trace` = debug, `warning` = warn, `panic` = error).',
          default: 'debug',
          status: 'implemented',
          aliases: { trace: 'debug', warning: 'warn', panic: 'error' },
        }),
        output: path({ description: 'Log file; absent = stdout.', status: 'implemented' }),
        audit: path({ description: 'Audit log file (successful mutating requests).', status: 'implemented' }),
      },
    ),
    extensions,
    scheduler: obj(
      { description: 'Background task scheduler.', status: 'planned' },
      {
        numWorkers: int({
          description: 'Worker count.',
          default: () => 4 * availableParallelism(),
          defaultNote: '4 × CPU count',
          min: 1,
        }),
      },
    ),
    cluster: obj(
      {
        description: 'Scale-out: repositories hashed across replicas.',
        optional: true,
        status: 'planned',
      },
      {
        members: list(str({ description: '`host:port`' }), {
          description: 'Every replica, same list everywhere.',
          default: [],
        }),
        hashKey: str({ description: 'SipHash key, exactly 16 characters.', default: '' }),
        tls: obj(
          { description: 'Client TLS for proxying to members.', optional: true },
          {
            cert: path({ description: 'Client certificate.' }),
            key: path({ description: 'Client key.' }),
            cacert: path({ description: 'CA of the members.' }),
          },
        ),
      },
    ),
  },
)

/** A fully defaulted configuration. Durations are milliseconds. */
export type Config = Infer<typeof configSchema>
export type StorageConfig = Config['storage']
export type HttpConfig = Config['http']
export type AuthConfig = NonNullable<HttpConfig['auth']>
export type AccessControlConfig = NonNullable<HttpConfig['accessControl']>
export type OpenIdProviderConfig = NonNullable<AuthConfig['openid']>['providers'][string]
export type ExtensionsConfig = NonNullable<Config['extensions']>
export type RetentionPolicyConfig = StorageConfig['retention']['policies'][number]
/** The rules of `keepUntagged`, and of each `keepTags[]` entry besides its patterns. */
export type KeepRulesConfig = NonNullable<RetentionPolicyConfig['keepUntagged']>
export type ScrubConfig = NonNullable<ExtensionsConfig['scrub']>
export type SyncConfig = NonNullable<ExtensionsConfig['sync']>
export type SyncRegistryConfig = SyncConfig['registries'][number]
export type SyncContentConfig = SyncRegistryConfig['content'][number]
