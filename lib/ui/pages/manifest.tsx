/** @jsxImportSource hono/jsx */
/**
 * @module
 * The raw JSON of a manifest (and of its config blob, for image manifests), pretty-printed. Shown
 * as escaped text, never interpreted; a body that is no JSON is shown as it is.
 */
import type { FC } from 'hono/jsx'
import { repositoryHref } from '../components'
import { Layout, type Viewer } from '../layout'

export interface ManifestProps {
  viewer: Viewer
  repository: string
  digest: string
  here: string
  mediaType: string
  manifest: string
  config?: { digest: string; text: string }
}

/** Pretty JSON when `text` parses, else the text as it is. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

export const ManifestPage: FC<ManifestProps> = ({ viewer, repository, digest, here, mediaType, manifest, config }) => (
  <Layout title={`${repository}@${digest.slice(0, 19)}`} viewer={viewer} here={here}>
    <p>
      <a href={repositoryHref(repository)}>← {repository}</a>
    </p>
    <h2>Manifest</h2>
    <p class="muted">
      <code class="digest">{digest}</code> · {mediaType}
    </p>
    <pre id="manifest-json">{prettyJson(manifest)}</pre>
    {config && (
      <>
        <h2>Config</h2>
        <p class="muted">
          <code class="digest">{config.digest}</code>
        </p>
        <pre id="config-json">{prettyJson(config.text)}</pre>
      </>
    )}
  </Layout>
)
