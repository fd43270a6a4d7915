/**
 * @module
 * A throwaway OpenLDAP directory (Debian's `slapd`) for the LDAP login tests: its own config,
 * database and TLS certificate in a temp directory, listening on 127.0.0.1 for plain LDAP (with
 * StartTLS) and LDAPS, started as a child process and stopped by its PID. Users live under
 * `ou=people`; groups are `groupOfNames` under `ou=groups`, added over the wire after start so
 * that the `memberof` overlay gives each member its `memberOf` values, as in real directories.
 * Anonymous clients may only bind; searching needs the search account `SEARCH_ACCOUNT`.
 */
import { afterAll } from 'bun:test'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Client } from 'ldapts'
import { makeSelfSignedCertificate } from '../tls/certificates'
import { run } from '../clients'
import { freePort } from '../server'
import { tempDirectory } from '../temp'

export const BASE_DN = 'dc=example,dc=org'
export const PEOPLE_DN = `ou=people,${BASE_DN}`
export const SEARCH_ACCOUNT = { bindDN: `cn=searcher,${BASE_DN}`, bindPassword: 'searcher-pw' }
const ROOT = { dn: `cn=admin,${BASE_DN}`, password: 'admin-pw' }

export interface DirectoryUser {
  uid: string
  password: string
  /** Extra attributes, e.g. `{ employeeType: 'disabled' }`. */
  attributes?: Record<string, string>
}

export interface DirectoryGroup {
  cn: string
  members: string[]
}

export interface Slapd {
  /** Plain LDAP (StartTLS available). */
  port: number
  ldapsPort: number
  /** The server certificate (self-signed for 127.0.0.1 and localhost): the `caCert` to trust. */
  caCert: string
  groupDn(cn: string): string
  /** Stops the server (the database stays, so `start` brings the same directory back). */
  stop(): Promise<void>
  start(): Promise<void>
}

const SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis']
const SLAPD = '/usr/sbin/slapd'

function slapdConfig(directory: string, tls: { cert: string; key: string }): string {
  return [
    ...SCHEMAS.map((schema) => `include /etc/ldap/schema/${schema}.schema`),
    `pidfile ${join(directory, 'slapd.pid')}`,
    `argsfile ${join(directory, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'moduleload memberof',
    `TLSCertificateFile ${tls.cert}`,
    `TLSCertificateKeyFile ${tls.key}`,
    'database mdb',
    `suffix "${BASE_DN}"`,
    `rootdn "${ROOT.dn}"`,
    `rootpw ${ROOT.password}`,
    `directory ${join(directory, 'data')}`,
    'maxsize 10485760',
    'overlay memberof',
    'access to attrs=userPassword by self write by anonymous auth by * none',
    'access to * by users read by anonymous auth',
    '',
  ].join('\n')
}

function ldif(users: DirectoryUser[]): string {
  const entry = (lines: string[]) => `${lines.join('\n')}\n`
  return [
    entry([`dn: ${BASE_DN}`, 'objectClass: dcObject', 'objectClass: organization', 'o: example', 'dc: example']),
    entry([`dn: ${PEOPLE_DN}`, 'objectClass: organizationalUnit', 'ou: people']),
    entry([`dn: ou=groups,${BASE_DN}`, 'objectClass: organizationalUnit', 'ou: groups']),
    entry([
      `dn: ${SEARCH_ACCOUNT.bindDN}`,
      'objectClass: simpleSecurityObject',
      'objectClass: organizationalRole',
      'cn: searcher',
      `userPassword: ${SEARCH_ACCOUNT.bindPassword}`,
    ]),
    ...users.map((user) =>
      entry([
        `dn: uid=${user.uid},${PEOPLE_DN}`,
        'objectClass: inetOrgPerson',
        `uid: ${user.uid}`,
        `cn: ${user.uid}`,
        `sn: ${user.uid}`,
        `userPassword: ${user.password}`,
        ...Object.entries(user.attributes ?? {}).map(([name, value]) => `${name}: ${value}`),
      ]),
    ),
  ].join('\n')
}

async function waitForPort(port: number, child: ReturnType<typeof Bun.spawn>): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}`)
    const open = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } }).then(
      (socket) => (socket.end(), true),
      () => false,
    )
    if (open) return
    await Bun.sleep(50)
  }
  throw new Error(`slapd did not listen on ${port}`)
}

/**
 * Creates the directory, starts slapd and adds the groups. In tests (no `directory` given) it
 * lives in a temp directory and stops when the test file ends; a benchmark passes its own
 * directory and stops it itself.
 */
export async function startSlapd(users: DirectoryUser[], groups: DirectoryGroup[], home?: string): Promise<Slapd> {
  const directory = home ?? (await tempDirectory('slapd'))
  await mkdir(join(directory, 'data'))
  const tls = { cert: join(directory, 'cert.pem'), key: join(directory, 'key.pem') }
  await makeSelfSignedCertificate({ ...tls, commonName: 'localhost', subjectAltName: 'IP:127.0.0.1,DNS:localhost' })
  const configFile = join(directory, 'slapd.conf')
  await writeFile(configFile, slapdConfig(directory, tls))
  await writeFile(join(directory, 'base.ldif'), ldif(users))
  await run('/usr/sbin/slapadd', ['-f', configFile, '-l', join(directory, 'base.ldif')])
  const [port, ldapsPort] = [await freePort(), await freePort()]
  let child: ReturnType<typeof Bun.spawn> | undefined
  let output = ''

  const slapd: Slapd = {
    port,
    ldapsPort,
    caCert: tls.cert,
    groupDn: (cn) => `cn=${cn},ou=groups,${BASE_DN}`,
    async start() {
      const urls = `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${ldapsPort}/`
      // `-d 0`: stay in the foreground (no daemonising), so the PID we hold is slapd's.
      const spawned = Bun.spawn([SLAPD, '-d', '0', '-h', urls, '-f', configFile], {
        stdout: 'pipe',
        stderr: 'pipe',
        stdin: 'ignore',
      })
      child = spawned
      void new Response(spawned.stderr).text().then((text) => (output += text))
      try {
        await waitForPort(port, spawned)
      } catch (error) {
        spawned.kill('SIGKILL')
        await spawned.exited
        throw new Error(`${String(error)}\n${output}`)
      }
    },
    async stop() {
      if (!child || child.exitCode !== null) return
      child.kill('SIGTERM')
      await child.exited
    },
  }
  await slapd.start()
  if (home === undefined) afterAll(() => slapd.stop())
  await addGroups(
    port,
    groups.map((group) => ({ ...group, dn: slapd.groupDn(group.cn) })),
  )
  return slapd
}

async function addGroups(port: number, groups: (DirectoryGroup & { dn: string })[]): Promise<void> {
  const client = new Client({ url: `ldap://127.0.0.1:${port}` })
  try {
    await client.bind(ROOT.dn, ROOT.password)
    for (const group of groups) {
      await client.add(group.dn, {
        objectClass: 'groupOfNames',
        cn: group.cn,
        member: group.members.map((uid) => `uid=${uid},${PEOPLE_DN}`),
      })
    }
  } finally {
    await client.unbind()
  }
}
