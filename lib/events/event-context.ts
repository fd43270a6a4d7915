/**
 * @module
 * Who caused a registry change, for the events it produces: the request's user and client,
 * carried through the request's async work (AsyncLocalStorage) so the registry, which knows
 * nothing of HTTP, need not pass it along. Changes made by background work (sync, GC) have none.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { createMiddleware } from 'hono/factory'
import { clientAddress } from '../http/client-address'
import type { AppEnv } from '../http/context'

export interface EventContext {
  /** The authenticated user name; absent for anonymous requests. */
  actor?: string
  request?: { addr: string; method: string; useragent: string }
}

const storage = new AsyncLocalStorage<EventContext>()

/** The context of the request this code runs for, if any. */
export const currentEventContext = (): EventContext | undefined => storage.getStore()

/** Mount after authentication: the principal is known by then. */
export const eventContext = () =>
  createMiddleware<AppEnv>(async function eventContext(c, next) {
    const actor = c.get('principal')?.username
    const context: EventContext = {
      ...(actor && { actor }),
      request: {
        addr: clientAddress(c) ?? '',
        method: c.req.method,
        useragent: c.req.header('User-Agent') ?? '',
      },
    }
    await storage.run(context, next)
  })
