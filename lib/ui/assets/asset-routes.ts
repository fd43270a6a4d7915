/**
 * @module
 * Serves the stylesheet and the script under names carrying their content hash, so browsers
 * (and proxies) may cache them for a year: a new build changes the name, never a cached file.
 */
import { createHash } from 'node:crypto'
import { Hono } from 'hono'
import type { AppEnv } from '../../http/context'
import { SCRIPT } from './script'
import { STYLESHEET } from './stylesheet'

const hashed = (name: string, body: string, extension: string): string =>
  `/ui/${name}.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${extension}`

export const STYLESHEET_PATH = hashed('style', STYLESHEET, 'css')
export const SCRIPT_PATH = hashed('ui', SCRIPT, 'js')

const CACHED = 'public, max-age=31536000, immutable'

/** The asset routes as a hono app with full paths. */
export function assetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const serve = (path: string, body: string, type: string) =>
    app.get(
      path,
      () =>
        new Response(body, {
          headers: { 'Content-Type': type, 'Cache-Control': CACHED, 'X-Content-Type-Options': 'nosniff' },
        }),
    )
  serve(STYLESHEET_PATH, STYLESHEET, 'text/css; charset=utf-8')
  serve(SCRIPT_PATH, SCRIPT, 'text/javascript; charset=utf-8')
  return app
}
