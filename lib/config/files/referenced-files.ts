/**
 * @module
 * Files a config names that must exist when zot starts. zot only notices a missing htpasswd or
 * TLS file when it fails at start-up; zot-bun checks them while loading. A file that is not
 * there is an error or a warning as the finding list says (`serve` refuses to start,
 * `verify-config` on a CI machine warns); a file that is there is read and checked either way.
 * Secret files are read strictly and the LDAP and OpenID credentials in them are copied into the
 * config.
 */
import { checkAppendable, checkDirectoryReadable, checkFileExists } from './file-checks'
import { entryPath, itemPath, type FindingList } from '../findings'
import type { Config } from '../schema'
import {
  readLdapCredentialsInto,
  readOpenidCredentialsInto,
  readSessionKeysInto,
  readSyncCredentialsInto,
} from '../reading/secret-files'

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
    ...(auth?.bearer?.oidc ?? []).map((entry, index): [string, string | undefined] => [
      `http.auth.bearer.oidc[${index}].certificateAuthorityFile`,
      entry.certificateAuthorityFile,
    ]),
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
  // Sync reads certDir when it builds its upstream client; a missing one used to surface there as
  // a stack trace, and every request to that upstream failed.
  for (const [index, registry] of (config.extensions?.sync?.registries ?? []).entries()) {
    if (registry.certDir)
      await checkDirectoryReadable(
        registry.certDir,
        `${itemPath('extensions.sync.registries', index)}.certDir`,
        findings,
        CERT_DIR_FIX,
      )
  }
}

const CERT_DIR_FIX =
  'create it with the upstream CA as *.crt (and a client pair as *.cert and *.key), correct ' +
  'the path, or remove certDir'
