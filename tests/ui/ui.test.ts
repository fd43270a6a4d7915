/**
 * @module
 * The web UI in headless Chromium against the registry as `serve` assembles it: anonymous
 * browsing and search, finding an image by platform, a repository and its images (index
 * platforms, layers, history, raw JSON), a signed image's signature and SBOM, pull-through
 * content marked as cached, sign-in with htpasswd and with a real OpenID provider, stars, API
 * keys, tag deletion by whom the policy allows, and a user who may not read `secret/**` never
 * seeing it. Each page is saved as a screenshot under tests/ui/artifacts/.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { basicAuthorization } from '../../lib/auth/basic-credentials'
import { SBOM_TYPE } from './fixtures'
import { startUiWorld } from './support'

setDefaultTimeout(60_000)

describe('web UI in a browser', async () => {
  const world = await startUiWorld()
  const { origin, digests, newPage, signInWithPassword, screenshot } = world
  const host = new URL(origin).host

  test('anonymous visitors browse the home page and search from the header', async () => {
    const page = await newPage()
    await page.goto(`${origin}/`)
    await screenshot(page, 'home-anonymous')
    const recent = await page.textContent('section[aria-labelledby="recent"]')
    for (const name of ['apps/web', 'apps/signed', 'tools/riscv', 'hub/library/alpine']) expect(recent).toContain(name)
    expect(await page.textContent('main')).toContain('4 repositories you can read')
    const popular = page.locator('section[aria-labelledby="popular"] ul.cards > li')
    expect(await popular.count()).toBe(4)
    expect(await popular.first().textContent()).toContain('apps/signed')
    expect(await popular.first().textContent()).toContain('2 downloads')

    await page.emulateMedia({ colorScheme: 'dark' })
    await screenshot(page, 'home-dark')
    await page.emulateMedia({ colorScheme: 'light' })

    await page.fill('#search-input', 'web')
    // Instant suggestions (the script) under the box, before submitting, reachable by keyboard.
    await page.waitForSelector('#search-suggest a:has-text("apps/web")')
    await page.press('#search-input', 'ArrowDown')
    expect(await page.evaluate('document.activeElement.textContent')).toBe('apps/web')
    await screenshot(page, 'search-suggestions', false)
    await page.press('#search-suggest a', 'ArrowUp')
    expect(await page.evaluate('document.activeElement.id')).toBe('search-input')
    await page.press('#search-input', 'Enter')
    await page.waitForURL(/\/explore\?q=web/)
    await screenshot(page, 'explore-search')
    expect(await page.textContent('#results')).toContain('1 result')
    await page.click('ul.cards a:has-text("apps/web")')
    await page.waitForURL(`${origin}/image/apps/web`)
    // A phone's width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 })
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await screenshot(page, 'repository-phone')
    await page.close()
  })

  test('pages work without JavaScript and keep a strict CSP', async () => {
    const browserContext = await world.browser.newContext({ javaScriptEnabled: false })
    const page = await browserContext.newPage()
    const response = await page.goto(`${origin}/explore?q=signed`)
    const csp = response?.headers()['content-security-policy'] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(await page.textContent('#results')).toContain('1 result')
    // The copy buttons only appear with the script.
    await page.goto(`${origin}/image/apps/web`)
    expect(await page.isVisible('button[data-copy]')).toBe(false)
    await browserContext.close()

    const asset = await fetch(
      `${origin}${(await (await fetch(`${origin}/`)).text()).match(/href="(\/ui\/style\.[^"]+)"/)?.[1]}`,
    )
    expect(asset.status).toBe(200)
    expect(asset.headers.get('Cache-Control')).toContain('immutable')
  })

  test('an image is found by its platform', async () => {
    const page = await newPage()
    await page.goto(`${origin}/explore`)
    await page.check('input[name="arch"][value="riscv64"]')
    await page.click('button:has-text("Apply filters")')
    await page.waitForURL(/arch=riscv64/)
    await screenshot(page, 'explore-filter-riscv64')
    const results = await page.textContent('section[aria-labelledby="results"]')
    expect(results).toContain('tools/riscv')
    expect(results).toContain('1 result')
    expect(results).not.toContain('apps/web')
    await page.click('ul.cards a:has-text("tools/riscv")')
    expect(await page.textContent('#tags')).toContain('linux/riscv64')
    await page.close()
  })

  test('a repository shows tags, platforms, annotations and pull commands with this host', async () => {
    const page = await newPage()
    await page.goto(`${origin}/image/apps/web`)
    await screenshot(page, 'repository')
    const tags = await page.textContent('#tags')
    expect(tags).toContain('1.0')
    expect(tags).toContain('old')
    expect(tags).toContain('linux/amd64')
    expect(tags).toContain('linux/arm64')
    expect(tags).toContain(digests.web.digest.slice(0, 19))
    const about = await page.textContent('section[aria-labelledby="about"]')
    expect(about).toContain('The web frontend')
    expect(about).toContain('Apache-2.0')
    expect(about).toContain('Example Corp')
    expect(await page.getAttribute('a[href="https://git.example.com/apps/web"]', 'href')).toBeTruthy()
    const pull = await page.textContent('section[aria-labelledby="pull"]')
    expect(pull).toContain(`docker pull ${host}/apps/web:`)
    expect(pull).toContain(`podman pull --tls-verify=false ${host}/apps/web:`)
    expect(pull).toContain(`ctr images pull --plain-http ${host}/apps/web:`)
    expect(pull).toContain(`nerdctl pull --insecure-registry ${host}/apps/web:`)
    // Anonymous visitors may not delete, so no delete button.
    expect(await page.locator('button:has-text("Delete")').count()).toBe(0)

    await page.click('#tags a:has-text("1.0")')
    await page.waitForURL(`${origin}/image/apps/web/tag/1.0`)
    await screenshot(page, 'image-index')
    expect(await page.textContent('section[aria-labelledby="platforms"]')).toContain('linux/arm64')
    await page.click('section[aria-labelledby="platforms"] a:has-text("linux/arm64")')
    await page.waitForURL(/digest=/)
    const layers = await page.textContent('#layers')
    expect(layers).toContain('RUN apk add --no-cache nginx-arm')
    expect(layers).not.toContain('alpine-amd64')
    await screenshot(page, 'image-arm64')

    await page.click('a:has-text("View this manifest and its config")')
    const manifest = await page.textContent('#manifest-json')
    expect(JSON.parse(manifest ?? '')).toMatchObject({ mediaType: 'application/vnd.oci.image.manifest.v1+json' })
    expect(JSON.parse((await page.textContent('#config-json')) ?? '')).toMatchObject({ architecture: 'arm64' })
    await screenshot(page, 'manifest-json')
    await page.close()
  })

  test('a signed image shows its signature and its SBOM referrer', async () => {
    const page = await newPage()
    await page.goto(`${origin}/image/apps/signed/tag/v1`)
    await screenshot(page, 'image-signed')
    expect(await page.textContent('main p.actions')).toContain('signed')
    expect(await page.textContent('#signatures')).toContain('cosign')
    const referrers = await page.textContent('#referrers')
    expect(referrers).toContain(SBOM_TYPE)
    expect(referrers).toContain(digests.sbom.digest.slice(0, 19))
    expect(await page.textContent('#layers')).toContain('RUN useradd app')
    await page.click(`#referrers a`)
    expect(await page.textContent('#manifest-json')).toContain(digests.signed.digest)
    await page.close()
  })

  test('pulled-through content is listed and marked as cached from its upstream', async () => {
    const page = await newPage()
    await page.goto(`${origin}/image/hub/library/alpine`)
    await screenshot(page, 'repository-cached')
    expect(await page.textContent('main')).toContain(`cached from ${world.upstreamHost}/library/alpine`)
    expect(await page.textContent('#tags')).toContain('linux/amd64')
    await page.goto(`${origin}/image/apps/web`)
    expect(await page.textContent('main')).not.toContain('cached from')
    await page.close()
  })

  test('sign in with htpasswd, star a repository, find it among the stars', async () => {
    const page = await newPage()
    await signInWithPassword(page, 'bob', '/image/apps/signed')
    // Back where the visitor signed in from.
    expect(page.url()).toBe(`${origin}/image/apps/signed`)
    expect(await page.textContent('#username')).toBe('bob')
    await page.click('button:has-text("Star")')
    await page.waitForSelector('button[aria-pressed="true"]:has-text("Starred")')
    expect(await page.textContent('main')).toContain('1 star ·')
    await screenshot(page, 'repository-starred')

    await page.goto(`${origin}/`)
    expect(await page.textContent('section[aria-labelledby="starred"]')).toContain('apps/signed')
    await screenshot(page, 'home-signed-in')
    await page.setViewportSize({ width: 960, height: 640 })
    await screenshot(page, 'readme-home', false)
    await page.setViewportSize({ width: 1200, height: 900 })
    await page.goto(`${origin}/explore?starred=1`)
    const results = await page.textContent('section[aria-labelledby="results"]')
    expect(results).toContain('apps/signed')
    expect(results).toContain('1 result')

    // bob may read but not delete: no delete buttons.
    await page.goto(`${origin}/image/apps/web`)
    expect(await page.locator('button:has-text("Delete")').count()).toBe(0)
    await page.click('button:has-text("Sign out")')
    expect(await page.isVisible('nav.user a:has-text("Sign in")')).toBe(true)
    await page.close()
  })

  test('a form without its CSRF token changes nothing', async () => {
    const page = await newPage()
    await signInWithPassword(page, 'bob')
    const cookies = (await page.context().cookies()).map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
    const forged = await fetch(`${origin}/ui/actions/star`, {
      method: 'POST',
      body: new URLSearchParams({ repo: 'tools/riscv' }),
      headers: { Cookie: cookies, 'Content-Type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    })
    expect(forged.status).toBe(403)
    const crossSite = await fetch(`${origin}/ui/actions/star`, {
      method: 'POST',
      body: new URLSearchParams({ repo: 'tools/riscv', csrf: 'x' }),
      headers: { Cookie: cookies, Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    })
    expect(crossSite.status).toBe(403)
    await page.goto(`${origin}/image/tools/riscv`)
    expect(await page.textContent('main')).toContain('0 stars ·')
    await page.close()
  })

  test('sign in with the OpenID provider from the sign-in page', async () => {
    const page = await newPage()
    await page.goto(`${origin}/login?next=/explore`)
    await screenshot(page, 'sign-in')
    await page.click('text=Sign in with Example SSO')
    await page.fill('input[name="login"]', 'erich')
    await page.fill('input[name="password"]', 'anything')
    await page.click('button:has-text("Sign-in")')
    await page.click('button:has-text("Continue")')
    await page.waitForURL(`${origin}/explore`)
    expect(await page.textContent('#username')).toBe('erich')
    await page.close()
  })

  test('create an API key from the header, use it, revoke it', async () => {
    const page = await newPage()
    await signInWithPassword(page, 'bob')
    await page.click('nav.user a:has-text("API keys")')
    await page.fill('input[name="label"]', 'laptop')
    await page.click('button:has-text("Create key")')
    const apiKey = (await page.textContent('#new-key')) ?? ''
    expect(apiKey).toMatch(/^zak_/)
    await screenshot(page, 'api-keys')
    const works = async () =>
      (
        await fetch(`${origin}/v2/apps/web/tags/list`, {
          headers: { Authorization: basicAuthorization('bob', apiKey) },
        })
      ).status === 200
    expect(await works()).toBe(true)
    await page.goto(`${origin}/user/apikey`)
    await page.click('button:has-text("Revoke")')
    await page.waitForSelector('text=No keys yet.')
    expect(await works()).toBe(false)
    await page.close()
  })

  test('whoever may not read secret/** never sees it: pages, search, suggestions, counts', async () => {
    const anonymous = await newPage()
    const bob = await newPage()
    await signInWithPassword(bob, 'bob')
    const secretDigest = digests.secret.digest
    for (const page of [anonymous, bob]) {
      for (const path of ['/', '/explore']) {
        await page.goto(`${origin}${path}`)
        const html = await page.content()
        expect(html).not.toContain('secret/')
        expect(html).not.toContain('Top secret')
      }
      for (const text of ['secret', 'vault', 'secret/vault:1', 'secret/vault:']) {
        await page.goto(`${origin}/explore?q=${encodeURIComponent(text)}`)
        expect(await page.textContent('#results')).toContain('0 results')
        expect(await page.locator('a[href^="/image/secret"]').count()).toBe(0)
        expect(await page.content()).not.toContain('Top secret')
      }
      await page.goto(`${origin}/explore`)
      expect(await page.textContent('#results')).toContain('4 results')
      for (const path of [
        '/image/secret/vault',
        '/image/secret/vault/tag/1',
        `/image/secret/vault/manifest/${secretDigest}`,
      ]) {
        const response = await page.goto(`${origin}${path}`)
        expect(response?.status()).toBe(404)
        expect(await page.content()).not.toContain(secretDigest)
      }
      const suggestions = await page.evaluate(async () => (await fetch('/explore/suggest?q=sec')).json())
      expect(suggestions).toEqual([])
    }
    await screenshot(bob, 'not-found')

    // The admin does see it (the test above would pass on a broken index too otherwise).
    const admin = await newPage()
    await signInWithPassword(admin, 'admin')
    await admin.goto(`${origin}/explore`)
    expect(await admin.textContent('#results')).toContain('5 results')
    await admin.goto(`${origin}/explore?q=secret`)
    expect(await admin.textContent('#results')).toContain('1 result')
    await admin.goto(`${origin}/explore?q=secret/vault:1`)
    expect(await admin.locator('a[href="/image/secret/vault/tag/1"]').count()).toBe(1)
    await admin.goto(`${origin}/image/secret/vault/tag/1`)
    expect(await admin.textContent('main')).toContain('Top secret vault')
    for (const page of [anonymous, bob, admin]) await page.close()
  })

  test('a user the policy lets delete removes a tag from the repository page', async () => {
    const page = await newPage()
    await signInWithPassword(page, 'admin', '/image/apps/web')
    page.once('dialog', (dialog) => dialog.accept())
    await page.click('button[aria-label="Delete tag old"]')
    await page.waitForURL(`${origin}/image/apps/web`)
    const tags = await page.textContent('#tags')
    expect(tags).not.toContain('old')
    expect(tags).toContain('1.0')
    const listed = await fetch(`${origin}/v2/apps/web/tags/list`, {
      headers: { Authorization: basicAuthorization('admin', 'admin-pw') },
    })
    expect(((await listed.json()) as { tags: string[] }).tags).toEqual(['1.0'])
    await page.close()
  })
})
