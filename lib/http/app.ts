/**
 * @module
 * The hono application: the distribution API over a registry, behind whatever middleware the
 * server composes (logging, metrics, authentication, authorization), with one error renderer.
 */
import { Hono, type MiddlewareHandler } from 'hono'
import { RegistryError } from '../errors/registry-error'
import type { ManifestLint } from '../lint/mandatory-annotations'
import type { Logger } from '../log/logger'
import type { RequestTarget } from '../oci/request-target'
import type { ContentSource } from '../registry/content-source'
import type { Registry } from '../registry/registry'
import type { PullSource } from './pull-source'
import type { AppEnv } from './context'
import { requestTarget } from './middleware/request-target'
import { renderError, toRegistryError } from './render-error'
import { recordingStreams } from './streamed-content'
import { blobHandlers } from './routes/blobs'
import { extensionHandlers, type ExtensionEndpoints } from './routes/extensions'
import type { Handler, HandlerDeps, Method } from './routes/handler'
import { baseHandlers, catalogHandlers, referrersHandlers, tagsHandlers } from './routes/listings'
import { manifestHandlers } from './routes/manifests'
import { uploadSessionHandlers, uploadStartHandlers } from './routes/uploads'

export interface AppOptions {
  registry: Registry
  /** Where pulls are served from; the registry's own storage unless sync composes another. */
  source?: PullSource
  logger: Logger
  /** Runs after the target is parsed and before the API handlers (auth, metrics...). */
  middleware?: MiddlewareHandler<AppEnv>[]
  /** The repositories a principal may see in the catalog (all of them without access control). */
  readable?: HandlerDeps['readable']
  /** zot's `storage.redirectBlobURL`; with subPaths, the setting of the store of the repository. */
  redirectBlobs: boolean | ((repository: string) => boolean)
  /** The extension list and management info; none without search (zot's defaults). */
  extensions?: ExtensionEndpoints
  /** zot's lint extension, when it asks for mandatory annotations. */
  lintManifest?: ManifestLint
  /** Extra routes outside `/v2` (health, metrics, auth endpoints), mounted before the API. */
  routes?: (app: Hono<AppEnv>) => void
}

type HandlerTable = { [K in RequestTarget['kind']]: Partial<Record<Method, Handler<K>>> }

function handlerTable(deps: HandlerDeps): HandlerTable {
  return {
    base: baseHandlers(deps),
    catalog: catalogHandlers(deps),
    tags: tagsHandlers(deps),
    manifest: manifestHandlers(deps),
    blob: blobHandlers(deps),
    uploads: uploadStartHandlers(deps),
    upload: uploadSessionHandlers(deps),
    referrers: referrersHandlers(deps),
    extension: extensionHandlers(deps),
  }
}

export function createApp(options: AppOptions): Hono<AppEnv> {
  const { logger, registry, redirectBlobs } = options
  // Streams the source hands out are recorded (the request log times them to the last byte),
  // and their failures logged rather than printed.
  const pullsFrom = (source: ContentSource) => registry.pulls(recordingStreams(source, logger))
  const source: PullSource = options.source ?? registry
  const pulls = pullsFrom(source)
  const table = handlerTable({
    registry,
    // Only `?ns=` requests get their own (cheap) wrappers; every other request shares `pulls`.
    pulls: (c) => {
      const namespace = c.get('namespace')
      return namespace && source.forNamespace ? pullsFrom(source.forNamespace(namespace)) : pulls
    },
    readable: options.readable ?? ((_principal, repositories) => [...repositories]),
    redirectBlobs: typeof redirectBlobs === 'function' ? redirectBlobs : () => redirectBlobs,
    extensions: options.extensions ?? { discover: { extensions: [] } },
    ...(options.lintManifest && { lintManifest: options.lintManifest }),
  })
  const app = new Hono<AppEnv>()

  app.onError((error, c) => {
    const registryError = toRegistryError(error, (bug) =>
      logger.error('request failed', { method: c.req.method, path: c.req.path, error: bug }),
    )
    return renderError(registryError, c.req.method)
  })
  app.notFound((c) =>
    renderError(
      new RegistryError('UNSUPPORTED', { status: 404, message: 'not found', detail: { path: c.req.path } }),
      c.req.method,
    ),
  )

  app.use('*', requestTarget())
  for (const middleware of options.middleware ?? []) app.use('*', middleware)
  options.routes?.(app)

  const distribution: MiddlewareHandler<AppEnv> = async (c, next) => {
    const target = c.get('target')
    if (!target) return next()
    const handler = table[target.kind][c.req.method as Method] as Handler<typeof target.kind> | undefined
    if (!handler) {
      throw new RegistryError('UNSUPPORTED', {
        detail: { description: `${c.req.method} is not supported on this endpoint`, method: c.req.method },
      })
    }
    // The table is keyed by kind, so this handler takes exactly this target; TypeScript cannot
    // correlate the two through the union, hence the cast.
    return handler(c, target as never)
  }
  app.all('/v2', distribution)
  app.all('/v2/*', distribution)
  return app
}
