/**
 * @module
 * The shape of a distribution-API handler: one function per HTTP method of a resource, given the
 * already-parsed and validated request target.
 */
import type { Context } from 'hono'
import type { RequestTarget } from '../../oci/request-target'
import type { Pulls, Registry } from '../../registry/registry'
import type { AppEnv, Principal } from '../context'
import type { ManifestLint } from '../../lint/mandatory-annotations'
import type { ExtensionEndpoints } from './extensions'

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE'
export type TargetOf<K extends RequestTarget['kind']> = Extract<RequestTarget, { kind: K }>

export type Handler<K extends RequestTarget['kind']> = (
  c: Context<AppEnv>,
  target: TargetOf<K>,
) => Promise<Response> | Response

/** What handlers work with: the registry (pushes, deletes) and the pulls clients are served. */
export interface HandlerDeps {
  registry: Registry
  /**
   * Pull operations over the source pulls are served from (local, or sync's composition), as the
   * request's `?ns=` choice narrows it.
   */
  pulls(c: Context<AppEnv>): Pulls
  /**
   * The repositories of a list the principal may read (catalog filtering, mount sources); `c`,
   * the request, is what access-control conditions are judged on.
   */
  readable(principal: Principal | undefined, repositories: readonly string[], c?: Context<AppEnv>): string[]
  /** zot's `redirectBlobURL` of the repository's store: answer whole-blob GETs with a 307 to the storage's own URL. */
  redirectBlobs(repository: string): boolean
  /** What `/v2/_oci/ext/discover` and `/v2/_zot/ext/mgmt` answer. */
  extensions: ExtensionEndpoints
  /** zot's lint extension: checks a pushed manifest before it is stored. */
  lintManifest?: ManifestLint
}

/** The handlers of one resource kind, built around what they serve. */
export type ResourceHandlers<K extends RequestTarget['kind']> = (
  deps: HandlerDeps,
) => Partial<Record<Method, Handler<K>>>

/** An empty-bodied response with headers (201/202/204 answers of the API). */
export const noContent = (status: number, headers: Record<string, string>): Response =>
  new Response(null, { status, headers: { 'Content-Length': '0', ...headers } })

export const json = (body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json', ...headers } })
