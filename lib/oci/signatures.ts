/**
 * @module
 * How signatures show in a registry (docs/zot-compatibility.md 5.1): referrers whose artifact
 * type is cosign's or notation's, and cosign's legacy `sha256-<hex>.sig` tag naming the signed
 * manifest. Lint skips them, search lists them, sync's `onlySigned` looks for them.
 */
export type SignatureTool = 'cosign' | 'notation'

/** A Map, not an object: artifact types are pushed by clients (`__proto__`, `constructor`...). */
const SIGNATURE_ARTIFACT_TYPES: ReadonlyMap<string, SignatureTool> = new Map([
  ['application/vnd.dev.cosign.artifact.sig.v1+json', 'cosign'],
  ['application/vnd.cncf.notary.signature', 'notation'],
])

/** The tool behind a signature artifact type; undefined for any other type. */
export const signatureTool = (artifactType: string | undefined): SignatureTool | undefined =>
  artifactType === undefined ? undefined : SIGNATURE_ARTIFACT_TYPES.get(artifactType)

export const isSignatureArtifactType = (artifactType: string | undefined): boolean =>
  signatureTool(artifactType) !== undefined

/** cosign's legacy tag; group 1 is the hex of the signed manifest's sha256 digest. */
export const COSIGN_SIGNATURE_TAG = /^sha256-([a-f0-9]{64})\.sig$/

/** The legacy cosign tag of the signature of `digest`. */
export const cosignSignatureTag = (digest: string): string => `${digest.replace(':', '-')}.sig`
