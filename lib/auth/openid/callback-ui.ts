/**
 * @module
 * Where to send the browser after an OpenID login (`callback_ui`), without an open redirect:
 * a same-origin path, or an absolute URL whose origin is `externalUrl`'s or listed in
 * `openid.callbackAllowOrigins`. Anything else becomes `/`, as in zot.
 */

export interface CallbackUiPolicy {
  /** Origins an absolute `callback_ui` may point at. */
  allowedOrigins: readonly string[]
}

/** The origin of a URL text, or undefined when it is not an absolute http(s) URL. */
export function originOf(text: string | undefined): string | undefined {
  if (!text) return undefined
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined
  } catch {
    return undefined
  }
}

/** The origins of `externalUrl` and `openid.callbackAllowOrigins`: trusted besides our own. */
export function trustedOriginsOf(externalUrl: string | undefined, allowed: readonly string[] = []): string[] {
  return [originOf(externalUrl), ...allowed.map(originOf)].filter((origin): origin is string => origin !== undefined)
}

/**
 * The redirect target for a requested `callback_ui`.
 *
 * Relative paths must start with exactly one `/`: `//evil.example` and `/\evil.example` are
 * protocol-relative to browsers. Control characters and backslashes are refused outright
 * because browsers strip or reinterpret them while parsing.
 */
export function safeCallbackUi(requested: string | undefined, policy: CallbackUiPolicy): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses
  if (!requested || /[\u0000-\u001f\u007f\\]/.test(requested)) return '/'
  if (requested.startsWith('/')) return requested.startsWith('//') ? '/' : requested
  const origin = originOf(requested)
  return origin !== undefined && policy.allowedOrigins.includes(origin) ? requested : '/'
}
