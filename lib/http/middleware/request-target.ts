/**
 * @module
 * Parses the `/v2/...` path once into `c.var.target`, so authorization, metrics, logging and the
 * handlers agree on what a request addresses. Invalid repository names fail here, before any
 * storage access.
 */
import { createMiddleware } from 'hono/factory'
import { parseRequestTarget } from '../../oci/request-target'
import type { AppEnv } from '../context'
import { API_VERSION_HEADER } from '../render-error'

export const requestTarget = () =>
  createMiddleware<AppEnv>(async function requestTarget(c, next) {
    c.set('target', parseRequestTarget(c.req.path))
    await next()
    if (c.req.path.startsWith('/v2'))
      c.res.headers.set('Docker-Distribution-API-Version', API_VERSION_HEADER['Docker-Distribution-API-Version'])
  })
