/**
 * @module
 * The user name a verified client certificate stands for (`http.auth.mtls`, zot's
 * `extractMTLSIdentity`): the first of `identityAttributes` that yields a value, in order.
 * `CommonName`/`CN` is the subject's CN; `Subject`/`DN` the whole subject, RFC 2253 style as Go
 * prints it (`CN=alice,O=Example`); `URI`/`URL`, `DNSName`/`DNS` and `Email`/`rfc822name` the
 * subject-alternative name at the configured index, a URI optionally cut to capture group 1 of
 * `uriSanPattern` (e.g. the workload of a SPIFFE id). Attribute names are case-insensitive.
 *
 * The certificate was checked against `http.tls.cacert` during the handshake
 * (lib/server/client-certificates.ts); this only reads it.
 */
import { X509Certificate } from 'node:crypto'
import type { Context } from 'hono'
import { compileGoRegex } from '../../config/values/go-regex'

export interface MtlsSettings {
  identityAttributes: readonly string[]
  uriSanPattern?: string
  uriSanIndex: number
  dnsSanIndex: number
  emailSanIndex: number
}

/** zot's defaults, for a CA configured without `http.auth.mtls`. */
export const DEFAULT_MTLS: MtlsSettings = {
  identityAttributes: ['CommonName'],
  uriSanIndex: 0,
  dnsSanIndex: 0,
  emailSanIndex: 0,
}

/** The verified client certificate (DER) of a request, when one was presented. */
export function clientCertificateOf(c: Context): Buffer | undefined {
  const env: unknown = c.env
  if (env === null || typeof env !== 'object' || !('clientCertificate' in env)) return undefined
  return Buffer.isBuffer(env.clientCertificate) ? env.clientCertificate : undefined
}

/** `DNS:a, URI:b, email:"x, y"` into kind and value pairs (Node quotes values with commas). */
function alternativeNames(text: string | undefined): { kind: string; value: string }[] {
  const names: { kind: string; value: string }[] = []
  for (const match of (text ?? '').matchAll(/([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const raw = match[2] ?? ''
    names.push({ kind: (match[1] ?? '').toLowerCase(), value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw })
  }
  return names
}

/** Computes identities from certificates; one certificate object is parsed once. */
export function certificateIdentifier(
  settings: MtlsSettings = DEFAULT_MTLS,
): (certificate: Buffer) => string | undefined {
  // Go's syntax, as zot (and verify-config) read it; RE2 matches in linear time.
  const pattern = settings.uriSanPattern ? compileGoRegex(settings.uriSanPattern) : undefined
  // The terminator hands every request of a connection the same Buffer.
  const known = new WeakMap<Buffer, string | undefined>()

  function identify(certificate: Buffer): string | undefined {
    const parsed = new X509Certificate(certificate)
    const subject = parsed.subject.split('\n').filter(Boolean)
    const names = alternativeNames(parsed.subjectAltName)
    const alternative = (kind: string, index: number) => names.filter((name) => name.kind === kind)[index]?.value
    const attribute = (name: string): string | undefined => {
      switch (name.trim().toLowerCase()) {
        case 'commonname':
        case 'cn':
          return subject.findLast((part) => part.startsWith('CN='))?.slice(3)
        case 'subject':
        case 'dn':
          return subject.toReversed().join(',')
        case 'uri':
        case 'url': {
          const uri = alternative('uri', settings.uriSanIndex)
          return uri !== undefined && pattern ? pattern.submatch(uri, 1) : uri
        }
        case 'dnsname':
        case 'dns':
          return alternative('dns', settings.dnsSanIndex)
        case 'email':
        case 'rfc822name':
          return alternative('email', settings.emailSanIndex)
        default:
          return undefined
      }
    }
    for (const name of settings.identityAttributes) {
      const value = attribute(name)
      if (value) return value
    }
    return undefined
  }

  return (certificate) => {
    if (!known.has(certificate)) known.set(certificate, identify(certificate))
    return known.get(certificate)
  }
}
