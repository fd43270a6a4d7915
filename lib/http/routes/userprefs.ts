/**
 * @module
 * zot's `PUT /v2/_zot/ext/userprefs?action=toggleStar|toggleBookmark&repo=<name>`, with its
 * answers (empty bodies): 200 toggled, 400 without `action` or `repo` or with another action,
 * 404 for an empty or unknown repository, 403 for anonymous users and repositories the user
 * cannot read (checked before existence, so it reveals nothing). zot serves it when both search
 * and the UI are on.
 */
import type { Hono } from 'hono'
import type { AppEnv } from '../context'
import { toggleMark } from '../../search/execute'

export const USER_PREFS_PATH = '/v2/_zot/ext/userprefs'

const ACTIONS = { toggleStar: 'star', toggleBookmark: 'bookmark' } as const
const STATUS = { toggled: 200, forbidden: 403, unknown: 404 } as const

const empty = (status: number): Response => new Response(null, { status })

export function userPrefsRoutes(app: Hono<AppEnv>): void {
  app.put(USER_PREFS_PATH, async (c) => {
    const action = c.req.query('action')
    const kind =
      action !== undefined && Object.hasOwn(ACTIONS, action) ? ACTIONS[action as keyof typeof ACTIONS] : undefined
    const repository = c.req.query('repo')
    if (!kind || repository === undefined) return empty(400)
    if (repository === '') return empty(404)
    return empty(STATUS[await toggleMark(c, repository, kind)])
  })
}
