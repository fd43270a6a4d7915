/** @jsxImportSource hono/jsx */
/**
 * @module
 * One image (a tag): pull commands by tag and by digest, the platforms of an index (each one a
 * link selecting that manifest), the selected manifest's config digest, layers with sizes and the
 * `history` commands that made them, signatures, referrers (signatures, SBOMs, attestations) with
 * their artifact types, annotations, and a link to the raw JSON.
 */
import type { FC } from 'hono/jsx'
import {
  CachedBadge,
  DataTable,
  manifestHref,
  PullCommands,
  type RegistryAddress,
  repositoryHref,
  SignedBadge,
  shortDigestCell,
  tagHref,
} from '../components'
import { formatPlatform, formatSize, formatTime } from '../format'
import { CsrfField, Layout, type Viewer } from '../layout'
import type { ImageResult, ManifestDetail, Referrer, SignatureSummary } from '../queries'
import { ACTION_PATHS, Annotations } from './repository'

type Image = NonNullable<ImageResult['Image']>

/** An artifact type worth showing: not merely the config type every container image has. */
const isArtifact = (type: string | null | undefined): type is string =>
  Boolean(type) && !/^application\/vnd\.(oci\.image\.config\.v1|docker\.container\.image\.v1)\+json$/.test(type ?? '')

export interface ImageProps {
  viewer: Viewer
  repository: string
  tag: string
  here: string
  image: Image
  /** The manifest picked among an index's (`?digest=`); the first one otherwise. */
  selected: ManifestDetail | undefined
  address: RegistryAddress
  upstream: string | undefined
}

const Signatures: FC<{ signatures: SignatureSummary[] }> = ({ signatures }) =>
  signatures.length === 0 ? (
    <p class="muted">No signature.</p>
  ) : (
    <ul id="signatures">
      {signatures.map((signature) => (
        <li>
          <strong>{signature.Tool ?? 'unknown tool'}</strong> signature
          {signature.Author && <> by {signature.Author}</>}
          {signature.IsTrusted ? ' (verified)' : ' (not verified)'}
        </li>
      ))}
    </ul>
  )

const Referrers: FC<{ repository: string; referrers: Referrer[] }> = ({ repository, referrers }) =>
  referrers.length === 0 ? (
    <p class="muted">Nothing refers to this image.</p>
  ) : (
    <DataTable id="referrers" headers={['Artifact type', 'Digest', 'Size', 'Annotations']}>
      {referrers.map((referrer) => (
        <tr>
          <td>
            {referrer.ArtifactType || referrer.MediaType}
            {referrer.ArtifactType && referrer.MediaType && (
              <>
                <br />
                <span class="muted">{referrer.MediaType}</span>
              </>
            )}
          </td>
          <td>
            {referrer.Digest && (
              <a href={manifestHref(repository, referrer.Digest)}>{shortDigestCell(referrer.Digest)}</a>
            )}
          </td>
          <td>{formatSize(referrer.Size)}</td>
          <td>
            {referrer.Annotations.map((annotation) => (
              <div>
                <code>{annotation.Key}</code>: {annotation.Value}
              </div>
            ))}
          </td>
        </tr>
      ))}
    </DataTable>
  )

/** Layers in order, each with the history entry that made it; empty history steps in between. */
const Layers: FC<{ manifest: ManifestDetail }> = ({ manifest }) => {
  const history = manifest.History ?? []
  const rows =
    history.length > 0 ? history : (manifest.Layers ?? []).map((layer) => ({ Layer: layer, HistoryDescription: null }))
  if (rows.length === 0) return <p class="muted">No layers.</p>
  return (
    <DataTable id="layers" headers={['#', 'Command', 'Digest', 'Size']}>
      {rows.map((row, index) => (
        <tr>
          <td>{index + 1}</td>
          <td>
            {row.HistoryDescription?.CreatedBy ? (
              <code>{row.HistoryDescription.CreatedBy}</code>
            ) : (
              <span class="muted">no history</span>
            )}
            {row.HistoryDescription?.EmptyLayer && <span class="badge">no file changes</span>}
          </td>
          <td>{row.HistoryDescription?.EmptyLayer ? '' : shortDigestCell(row.Layer?.Digest)}</td>
          <td>{row.HistoryDescription?.EmptyLayer ? '' : formatSize(row.Layer?.Size)}</td>
        </tr>
      ))}
    </DataTable>
  )
}

export const ImagePage: FC<ImageProps> = ({ viewer, repository, tag, here, image, selected, address, upstream }) => {
  const manifests = image.Manifests ?? []
  const isIndex = manifests.length > 1 || (image.MediaType ?? '').includes('index')
  // An image's own signatures are its manifest's; an index adds those of the selected platform.
  const signatures = [...(image.SignatureInfo ?? []), ...(isIndex ? (selected?.SignatureInfo ?? []) : [])]
  const referrers = [...(image.Referrers ?? []), ...(isIndex ? (selected?.Referrers ?? []) : [])]
  return (
    <Layout title={`${repository}:${tag}`} viewer={viewer} here={here}>
      <p class="actions">
        <a href={repositoryHref(repository)}>← {repository}</a>
        <SignedBadge signed={image.IsSigned} />
        <CachedBadge upstream={upstream} />
        {isArtifact(image.ArtifactType) && <span class="badge">{image.ArtifactType}</span>}
      </p>
      <section aria-labelledby="details">
        <h2 id="details">Details</h2>
        <dl class="meta">
          <dt>Digest</dt>
          <dd>
            <code class="digest">{image.Digest}</code>
          </dd>
          <dt>Media type</dt>
          <dd>{image.MediaType}</dd>
          <dt>Size</dt>
          <dd>{formatSize(image.Size)}</dd>
          <dt>Last updated</dt>
          <dd>{formatTime(image.LastUpdated)}</dd>
          <dt>Pushed</dt>
          <dd>{formatTime(image.PushTimestamp) || 'unknown'}</dd>
          <dt>Downloads</dt>
          <dd>{image.DownloadCount ?? 0}</dd>
        </dl>
        <p>{image.Digest && <a href={manifestHref(repository, image.Digest)}>View the raw manifest (JSON)</a>}</p>
      </section>
      <section aria-labelledby="pull">
        <h2 id="pull">Pull</h2>
        <PullCommands address={address} name={`${repository}:${tag}`} digest={image.Digest} />
      </section>
      <h2>About</h2>
      <Annotations image={image} />
      {isIndex && (
        <section aria-labelledby="platforms">
          <h2 id="platforms">Platforms</h2>
          <ul>
            {manifests.map((manifest) => (
              <li>
                {manifest.Digest === selected?.Digest ? (
                  <strong aria-current="true">{formatPlatform(manifest.Platform) || 'no platform'}</strong>
                ) : (
                  <a href={tagHref(repository, tag, manifest.Digest ?? undefined)}>
                    {formatPlatform(manifest.Platform) || 'no platform'}
                  </a>
                )}{' '}
                <span class="muted">
                  {formatSize(manifest.Size)} · {manifest.Digest?.slice(0, 19)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {selected && (
        <section aria-labelledby="manifest">
          <h2 id="manifest">
            Manifest{isIndex && formatPlatform(selected.Platform) ? ` for ${formatPlatform(selected.Platform)}` : ''}
          </h2>
          <dl class="meta">
            <dt>Digest</dt>
            <dd>
              <code class="digest">{selected.Digest}</code>
            </dd>
            <dt>Config</dt>
            <dd>
              <code class="digest">{selected.ConfigDigest}</code>
            </dd>
            <dt>Platform</dt>
            <dd>{formatPlatform(selected.Platform) || 'none'}</dd>
            {isArtifact(selected.ArtifactType) && (
              <>
                <dt>Artifact type</dt>
                <dd>{selected.ArtifactType}</dd>
              </>
            )}
            <dt>Size</dt>
            <dd>{formatSize(selected.Size)}</dd>
          </dl>
          {isIndex && selected.Digest && (
            <p>
              <a href={manifestHref(repository, selected.Digest)}>View this manifest and its config (JSON)</a>
            </p>
          )}
          <h3>Layers</h3>
          <Layers manifest={selected} />
        </section>
      )}
      <h2>Signatures</h2>
      <Signatures signatures={signatures} />
      <h2>Referrers</h2>
      <Referrers repository={repository} referrers={referrers} />
      {image.IsDeletable && viewer.username !== '' && (
        <>
          <h2>Delete</h2>
          <form method="post" action={ACTION_PATHS.deleteTag} data-confirm={`Delete ${repository}:${tag}?`}>
            <CsrfField viewer={viewer} />
            <input type="hidden" name="repo" value={repository} />
            <input type="hidden" name="tag" value={tag} />
            <input type="hidden" name="next" value={repositoryHref(repository)} />
            <button type="submit" class="danger">
              Delete tag {tag}
            </button>
          </form>
        </>
      )}
    </Layout>
  )
}
