/**
 * @module
 * zot's configuration: loading (JSON, YAML, TOML), validation, defaults, the embedded default
 * config, `verify-config`, the JSON Schema, and which keys are not implemented yet.
 */
export type {
  AccessControlConfig,
  AuthConfig,
  Config,
  ExtensionsConfig,
  HttpConfig,
  KeepRulesConfig,
  OpenIdProviderConfig,
  RetentionPolicyConfig,
  ScrubConfig,
  StorageConfig,
  SyncConfig,
  SyncContentConfig,
  SyncRegistryConfig,
} from './schema'
export { DIST_SPEC_VERSION, type S3DriverConfig, s3DriverConfig } from './schema'
export type { DurationMs } from './schema/builder'
export { ConfigError, formatFinding, formatFindingLine, type ConfigFinding } from './findings'
export type { ConfigFormat } from './reading/read-text'
export {
  configFromObject,
  inspectConfigFile,
  loadConfigFile,
  parseConfigText,
  type InspectOptions,
  type Inspection,
  type LoadedConfig,
} from './load'
export { defaultConfig, EMBEDDED_DEFAULT_CONFIG } from './default-config'
export { configJsonSchema } from './outputs/json-schema'
export { plannedKeysInUse, plannedKeyWarnings } from './implementation/planned'
export {
  readSessionKeys,
  readSyncCredentials,
  type SessionKeys,
  type SyncCredentials,
} from './reading/secret-files'
export { formatDuration, parseGoDuration } from './values/duration'
