/**
 * @module
 * Debian's docker-registry (CNCF distribution 2.8.2) as an upstream on 127.0.0.1: plain, with
 * htpasswd, or behind a token server. Its access log (Apache combined format) is kept, so tests
 * count the requests the upstream really received. Run by support/process.ts, stopped by the
 * PID we started.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeSelfSignedCertificate } from '../../support/tls/certificates'
import { run } from '../../support/clients'
import { startProcess } from '../../support/process'
import { freePort } from '../../support/server'
import type { TokenServer } from '../../support/counterparts/token-server'

export interface DockerRegistryOptions {
  htpasswd?: { username: string; password: string }
  token?: TokenServer
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1 (its PEM is `certificate`). */
  tls?: boolean
}

export interface DockerRegistry {
  url: string
  /** The self-signed certificate of a TLS registry (PEM file path). */
  certificate?: string
  host: string
  /** `METHOD /path status user-agent` per access-log line. */
  accessLog(): string[]
  count(method: string, path: RegExp): number
  stop(): Promise<void>
}

const ACCESS_LINE = /"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP\/[\d.]+" (\d{3}) \S+ "[^"]*" "([^"]*)"/

async function authSection(directory: string, options: DockerRegistryOptions): Promise<string[]> {
  if (options.htpasswd) {
    const path = join(directory, 'htpasswd')
    const { stdout } = await run('htpasswd', ['-Bbn', options.htpasswd.username, options.htpasswd.password])
    await writeFile(path, stdout)
    return ['auth:', '  htpasswd:', '    realm: test', `    path: ${JSON.stringify(path)}`]
  }
  if (options.token) {
    const { realm, service, issuer, cert } = options.token
    return [
      'auth:',
      '  token:',
      `    realm: ${realm}`,
      `    service: ${service}`,
      `    issuer: ${issuer}`,
      `    rootcertbundle: ${JSON.stringify(cert)}`,
    ]
  }
  return []
}

export async function startDockerRegistry(options: DockerRegistryOptions = {}): Promise<DockerRegistry> {
  const directory = await mkdtemp(join(tmpdir(), 'zot-sync-distribution-'))
  const port = await freePort()
  const configPath = join(directory, 'config.yml')
  const certificate = options.tls ? join(directory, 'registry.crt') : undefined
  const key = join(directory, 'registry.key')
  if (certificate) {
    await makeSelfSignedCertificate({
      key,
      cert: certificate,
      commonName: '127.0.0.1',
      subjectAltName: 'IP:127.0.0.1,DNS:localhost',
    })
  }
  await writeFile(
    configPath,
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: false } }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(directory, 'data'))} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}"${certificate ? `, tls: { certificate: ${JSON.stringify(certificate)}, key: ${JSON.stringify(key)} }` : ''} }`,
      ...(await authSection(directory, options)),
      '',
    ].join('\n'),
  )
  const url = `${certificate ? 'https' : 'http'}://127.0.0.1:${port}`
  const child = await startProcess({
    command: ['docker-registry', 'serve', configPath],
    readyUrl: `${url}/v2/`,
    readyTimeoutMs: 15_000,
    insecure: true,
  }).catch(async (error) => {
    await rm(directory, { recursive: true, force: true })
    throw new Error(`docker-registry did not start: ${error instanceof Error ? error.message : String(error)}`)
  })
  const accessLog = (): string[] =>
    child
      .logs()
      .split('\n')
      .flatMap((line) => {
        const match = ACCESS_LINE.exec(line)
        return match ? [`${match[1]} ${match[2]} ${match[3]} ${match[4]}`] : []
      })
  return {
    url,
    ...(certificate && { certificate }),
    host: `127.0.0.1:${port}`,
    accessLog,
    count: (method, path) =>
      accessLog().filter((line) => line.startsWith(`${method} `) && path.test(line.split(' ')[1]!)).length,
    stop: async () => {
      await child.stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
