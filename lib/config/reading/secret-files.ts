/**
 * @module
 * Secret files, read the way zot reads them: any config format by extension, keys
 * case-insensitive, unknown keys refused, required keys enforced (docs/zot-compatibility.md 1.1 step 5).
 * Problems are reported at the config key that names the file.
 */
import { decode, isRecord } from '../decode'
import { readRequiredText } from '../files/file-checks'
import { ConfigError, FindingList } from '../findings'
import { formatForPath, parseAnyFormat, parseText } from './read-text'
import { map, obj, str, type AnyNode, type Infer } from '../schema/builder'

const credential = (description: string) => str({ description, required: true })

const ldapCredentials = obj(
  { description: 'LDAP bind credentials.' },
  {
    bindDN: credential('Bind DN.'),
    bindPassword: credential('Bind password.'),
  },
)

const openidCredentials = obj(
  { description: 'OpenID client credentials.' },
  {
    clientid: credential('Client id.'),
    clientsecret: credential('Client secret.'),
  },
)

const sessionKeys = obj(
  { description: 'Session cookie keys.' },
  {
    hashKey: str({ description: 'HMAC key.' }),
    encryptKey: str({ description: 'Encryption key.' }),
  },
)

const syncCredentials = map(
  obj(
    { description: 'Credentials for one upstream host.' },
    {
      username: credential('User name.'),
      password: credential('Password or token.'),
    },
  ),
  { description: 'Upstream credentials by host[:port].', keyDoc: 'registry host' },
)

export type SyncCredentials = Infer<typeof syncCredentials>
export type SessionKeys = Infer<typeof sessionKeys>

/** Reads `http.auth.ldap.credentialsFile`: `{"bindDN", "bindPassword"}`, both required. */
export function readLdapCredentialsInto(file: string, findings: FindingList) {
  return readSecretFile(file, ldapCredentials, 'http.auth.ldap.credentialsFile', findings)
}

/** Reads an OpenID provider's `credentialsFile`: `{"clientid", "clientsecret"}`, both required. */
export function readOpenidCredentialsInto(file: string, configPath: string, findings: FindingList) {
  return readSecretFile(file, openidCredentials, configPath, findings)
}

/** Reads `extensions.sync.credentialsFile`: `{"host[:port]": {"username", "password"}}`. */
export async function readSyncCredentials(file: string): Promise<SyncCredentials> {
  return orThrow(file, (findings) => readSyncCredentialsInto(file, findings))
}

/** Reads `http.auth.sessionKeysFile`: `{"hashKey", "encryptKey"}`. */
export async function readSessionKeys(file: string): Promise<SessionKeys> {
  return orThrow(file, (findings) => readSessionKeysInto(file, findings))
}

async function orThrow<T>(file: string, read: (findings: FindingList) => Promise<T | undefined>): Promise<T> {
  const findings = new FindingList()
  const value = await read(findings)
  if (value === undefined || findings.hasErrors) throw new ConfigError(file, findings.all)
  return value
}

export async function readSyncCredentialsInto(
  file: string,
  findings: FindingList,
): Promise<SyncCredentials | undefined> {
  const path = 'extensions.sync.credentialsFile'
  // zot's sync decodes this file as plain JSON, so an empty object is accepted there too.
  const credentials = await readSecretFile(file, syncCredentials, path, findings, true)
  for (const host of Object.keys(credentials ?? {})) {
    if (/^[a-z]+:\/\//i.test(host) || host.includes('/')) {
      findings.error(
        path,
        `in ${file}: "${host}" is not a host; keys are registry hosts with an optional port, ` +
          'without scheme or path',
        {
          fix: `write "${host.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '')}"`,
        },
      )
    }
  }
  return credentials
}

export async function readSessionKeysInto(file: string, findings: FindingList): Promise<SessionKeys | undefined> {
  const path = 'http.auth.sessionKeysFile'
  const keys = await readSecretFile(file, sessionKeys, path, findings)
  if (keys && !keys.hashKey && !keys.encryptKey) {
    findings.error(path, `in ${file}: neither hashKey nor encryptKey is set`, {
      fix: 'set at least hashKey (random, 32 or 64 bytes)',
    })
  }
  return keys
}

/** Reads a secret file as zot does: any config format, keys case-insensitive, strict. Problems
 * are reported at `configPath`, the key that names the file. */
async function readSecretFile<N extends AnyNode>(
  file: string,
  schema: N,
  configPath: string,
  findings: FindingList,
  allowEmpty = false,
): Promise<Infer<N> | undefined> {
  const text = await readRequiredText(file, configPath, findings)
  if (text === undefined) return undefined
  const inner = new FindingList()
  const format = formatForPath(file)
  const raw =
    format === undefined || format === 'unsupported' ? parseAnyFormat(text, inner) : parseText(text, format, inner)
  const decoded = raw === undefined ? undefined : decodeSecret(raw, schema, file, inner, allowEmpty)
  for (const finding of inner.all) {
    const where = finding.path === '' ? '' : `${finding.path}: `
    const { severity, message, ...rest } = finding
    findings[severity === 'error' ? 'error' : 'warn'](configPath, `in ${file}: ${where}${message}`, {
      ...('fix' in rest ? { fix: rest.fix } : {}),
    })
  }
  return inner.hasErrors ? undefined : decoded
}

function decodeSecret<N extends AnyNode>(
  raw: unknown,
  schema: N,
  file: string,
  findings: FindingList,
  allowEmpty: boolean,
): Infer<N> | undefined {
  if (!isRecord(raw) || (!allowEmpty && Object.keys(raw).length === 0)) {
    findings.error('', 'the file holds no key:value pairs', {
      fix: `write the expected keys into ${file}`,
    })
    return undefined
  }
  return decode(schema, raw, findings, false).value as Infer<N>
}
