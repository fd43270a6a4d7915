/**
 * @module
 * zot's marker for requests of its web UI, `X-ZOT-API-CLIENT: zot-ui`. Cookie sessions count
 * only with it (a header a cross-site form cannot send: the CSRF defence of cookie sessions), and
 * 401 answers to it carry no Basic challenge (which would pop up the browser's password dialog).
 */
import type { Context } from 'hono'

export const UI_CLIENT_HEADER = 'X-ZOT-API-CLIENT'
export const UI_CLIENT_VALUE = 'zot-ui'

export const isUiClient = (c: Context): boolean => c.req.header(UI_CLIENT_HEADER) === UI_CLIENT_VALUE
