/**
 * @module
 * Throwaway self-signed certificates for TLS tests, made by openssl (valid one day, RSA 2048).
 */
import { run } from '../clients'

export interface CertificateFiles {
  /** Where the private key is written (PEM). */
  key: string
  /** Where the certificate is written (PEM). */
  cert: string
  commonName: string
  /** e.g. `IP:127.0.0.1,DNS:localhost`; absent: none. */
  subjectAltName?: string
}

/** Writes a self-signed certificate and its key; throws with openssl's output when it fails. */
export async function makeSelfSignedCertificate(files: CertificateFiles): Promise<void> {
  const extension = files.subjectAltName ? ['-addext', `subjectAltName=${files.subjectAltName}`] : []
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${files.commonName}`,
    ...extension,
    '-keyout',
    files.key,
    '-out',
    files.cert,
  ])
}
