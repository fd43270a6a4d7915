/**
 * @module
 * A browser's cookie keeping, reduced to what the login tests need.
 */

/** Cookies by host, as a browser keeps them (enough for these flows: no paths, no expiry dates). */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>()

  store(url: string, response: Response): void {
    const host = new URL(url).host
    const jar = this.jars.get(host) ?? new Map<string, string>()
    this.jars.set(host, jar)
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim())
      const name = pair.slice(0, pair.indexOf('='))
      const value = pair.slice(pair.indexOf('=') + 1)
      const expired = attributes.some(
        (attribute) => /^max-age=0$/i.test(attribute) || /^expires=Thu, 01 Jan 1970/i.test(attribute),
      )
      if (expired || value === '') jar.delete(name)
      else jar.set(name, value)
    }
  }

  header(url: string): string {
    return [...(this.jars.get(new URL(url).host) ?? new Map()).entries()]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ')
  }

  get(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).host)?.get(name)
  }

  set(url: string, name: string, value: string): void {
    const host = new URL(url).host
    const jar = this.jars.get(host) ?? new Map<string, string>()
    this.jars.set(host, jar)
    jar.set(name, value)
  }
}
