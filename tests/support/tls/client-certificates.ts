/**
 * @module
 * A throwaway certificate authority for mTLS tests, made by openssl: the CA, and client
 * certificates it signs (with chosen subject and subject-alternative names) or that nobody signs.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeSelfSignedCertificate } from './certificates'
import { run } from '../clients'

export interface ClientCertificate {
  cert: string
  key: string
}

export interface TestCa {
  /** The CA certificate: the registry's `http.tls.cacert`. */
  cert: string
  /** A client certificate signed by the CA; `subject` like `/CN=alice/O=Example`. */
  issue(name: string, subject: string, subjectAltName?: string): Promise<ClientCertificate>
}

export async function createTestCa(directory: string): Promise<TestCa> {
  const ca = { cert: join(directory, 'ca.crt'), key: join(directory, 'ca.key') }
  await makeSelfSignedCertificate({ ...ca, commonName: 'zot test client CA' })
  return {
    cert: ca.cert,
    async issue(name, subject, subjectAltName) {
      const files = { cert: join(directory, `${name}.crt`), key: join(directory, `${name}.key`) }
      const request = join(directory, `${name}.csr`)
      const extensions = join(directory, `${name}.ext`)
      await writeFile(
        extensions,
        ['extendedKeyUsage=clientAuth', ...(subjectAltName ? [`subjectAltName=${subjectAltName}`] : []), ''].join('\n'),
      )
      await run('openssl', [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        subject,
        '-keyout',
        files.key,
        '-out',
        request,
      ])
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        request,
        '-CA',
        ca.cert,
        '-CAkey',
        ca.key,
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        extensions,
        '-out',
        files.cert,
      ])
      return files
    },
  }
}
