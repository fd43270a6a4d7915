/**
 * @module
 * One log line per request (method, path, status, bytes sent, time until the last byte, or until
 * the response started for a body Bun sends by itself, user, client), and zot's audit log: one line per successful mutating request. The Authorization
 * header is never logged.
 */
import { createMiddleware } from 'hono/factory'
import type { Logger } from '../../log/logger'
import { clientAddress } from '../client-address'
import type { AppEnv } from '../context'
import { isStreamedContent } from '../streamed-content'
import { measuredBody } from './measured-body'

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface RequestLogOptions {
  logger: Logger
  /** zot's `log.audit`: where audit lines go (a logger writing to that file). */
  audit?: Logger
}

export const requestLog = (options: RequestLogOptions) =>
  createMiddleware<AppEnv>(async function logRequest(c, next) {
    const started = performance.now()
    let failed: unknown
    try {
      await next()
    } catch (error) {
      failed = error
      throw error
    } finally {
      const logRequest = options.logger.enabled('info')
      const status = failed ? 500 : c.res.status
      const audited = options.audit !== undefined && MUTATING.has(c.req.method) && status >= 200 && status < 300
      // The hottest path of the registry: build nothing when nothing is written.
      if (logRequest || audited) {
        const user = c.get('principal')?.username || undefined
        const client = clientAddress(c)
        if (logRequest) {
          const { method, path } = c.req
          const elapsed = () => Math.round((performance.now() - started) * 100) / 100
          const line = (bytes: number, timing: { durationMs: number } | { headersMs: number }) =>
            options.logger.info('request', { method, path, status, bytes, ...timing, user, client })
          const whole = (bytes: number) => line(bytes, { durationMs: elapsed() })
          // A HEAD answer's body (hono runs the GET handler) and a failure's are never sent.
          const body = failed || method === 'HEAD' ? null : c.res.body
          const length = c.res.headers.get('Content-Length')
          if (!body) whole(0)
          else if (length !== null && !isStreamedContent(body)) {
            // A file, bytes in memory or an S3 object's body: Bun sends it whole by itself (files
            // with sendfile, fetch bodies natively, which reading it here would forfeit) and Bun
            // 1.4.5 tells no one when the last byte went. So the line says what it knows, the time
            // until the response started, under a name that cannot be read as the download's
            // duration.
            line(Number(length), { headersMs: elapsed() })
          } else {
            // A stream (a pull-through fill) or a body of unknown length (JSON): the line
            // waits for the last byte, or the client's cancel, and says what went out.
            const measured = new Response(measuredBody(body, whole), c.res)
            // hono's setter would copy the response once more to merge the old one's headers in;
            // the new one has them all already.
            c.res = undefined
            c.res = measured
          }
        }
        if (audited) {
          const target = c.get('target')
          options.audit!.info('audit', {
            clientIP: client,
            subject: user ?? 'anonymous',
            action: c.req.method,
            object: c.req.path,
            repository: target && 'repository' in target ? target.repository : undefined,
            reference: target?.kind === 'manifest' ? target.reference : undefined,
            status,
          })
        }
      }
    }
  })
