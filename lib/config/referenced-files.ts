/**
 * @module
 * Files a config names that must exist when zot starts. zot only notices a missing htpasswd or
 * TLS file when it fails at start-up; zot-bun checks them while loading, so `verify-config`
 * catches them in CI. Secret files are read strictly and the LDAP and OpenID credentials in them
 * are copied into the config.
 */
import { checkAppendable, checkFileExists } from './file-checks'
import { entryPath, type FindingList } from './findings'
import type { Config } from './schema'
import {
  readLdapCredentialsInto,
  readOpenidCredentialsInto,
  readSessionKeysInto,
  readSyncCredentialsInto,
} from './secret-files'

/** Checks every file the config names and fills in credentials read from secret files. */
export async function checkReferencedFiles(config: Config, findings: FindingList): Promise<void> {
  const auth = config.http.auth
  const tls = config.http.tls
  const mustExist: [string, string | undefined][] = [
    ['http.auth.htpasswd.path', auth?.htpasswd?.path],
    ['http.tls.cert', tls?.cert],
    ['http.tls.key', tls?.key],
    ['http.tls.cacert', tls?.cacert],
    ['http.auth.ldap.caCert', auth?.ldap?.caCert],
    ['http.auth.bearer.cert', auth?.bearer?.cert],
  ]
  // One after the other, so findings come in config order.
  for (const [path, file] of mustExist) if (file) await checkFileExists(file, path, findings)
  // Logs that cannot be written would be lost (audit lines above all): refuse them up front.
  for (const [path, file] of [
    ['log.output', config.log.output],
    ['log.audit', config.log.audit],
  ] as const) {
    if (file) await checkAppendable(file, path, findings)
  }

  const ldap = auth?.ldap
  if (ldap?.credentialsFile) {
    const credentials = await readLdapCredentialsInto(ldap.credentialsFile, findings)
    if (credentials) Object.assign(ldap, credentials)
  }
  for (const [name, provider] of Object.entries(auth?.openid?.providers ?? {})) {
    if (!provider.credentialsFile) continue
    const path = `${entryPath('http.auth.openid.providers', name)}.credentialsFile`
    const credentials = await readOpenidCredentialsInto(provider.credentialsFile, path, findings)
    if (credentials) Object.assign(provider, credentials)
  }
  if (auth?.sessionKeysFile) await readSessionKeysInto(auth.sessionKeysFile, findings)
  const syncFile = config.extensions?.sync?.credentialsFile
  if (syncFile) await readSyncCredentialsInto(syncFile, findings)
}
