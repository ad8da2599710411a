// The browser harness (test/browser.ts) on pages of its own: a tiny server sends the portal's strict
// Content-Security-Policy, and axe must still run there, pass a clean page and fail one with planted WCAG faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { checkAccessibility, expectAccessible, launchBrowser, newPage, screenshot } from './browser.js'

// The policy the portal will send: nothing inline, no eval, everything from the page's own origin.
// report-uri: the browser's own account of what it refused, as the server receives it.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; report-uri /csp-report"

const head = (title: string) =>
  `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<title>${title}</title><link rel="stylesheet" href="/app.css"><script src="/app.js" defer></script></head>`

const pages: Record<string, { type: string; body: string }> = {
  '/good': {
    type: 'text/html; charset=utf-8',
    body: `${head('Factures — Facteur')}<body><header><img src="/logo.svg" alt="Facteur" width="120" height="40"></header>
<main><h1>Factures reçues</h1><p id="status">Chargement…</p>
<form action="/good" method="get"><label for="siret">SIRET du fournisseur</label><input id="siret" name="siret" inputmode="numeric">
<button type="submit">Rechercher</button></form></main></body></html>`,
  },
  // Planted faults: an image without alt (image-alt), an unlabelled input (label), faint text (color-contrast),
  // and an inline script that the CSP must refuse.
  '/bad': {
    type: 'text/html; charset=utf-8',
    body: `${head('Factures — page fautive')}<body><main><h1>Factures</h1><p id="status">Chargement…</p>
<img src="/logo.svg" width="120" height="40">
<form action="/bad" method="get"><input type="text" name="q"><button type="submit">Rechercher</button></form>
<p class="faint">Montant total à payer avant le 31 mars</p>
<script>document.body.dataset.inline = 'ran'</script>
</main></body></html>`,
  },
  '/app.css': {
    type: 'text/css; charset=utf-8',
    body: `body { font: 16px/1.5 sans-serif; margin: 2rem; color: #1a1a1a; background: #fff }
.faint { color: #e4e4e4; background: #fff }`,
  },
  // Proves scripts from 'self' run, and that the page's own eval is refused ('unsafe-eval' absent).
  '/app.js': {
    type: 'text/javascript; charset=utf-8',
    body: `document.getElementById('status').textContent = 'Prêt'
let evalRefused = false
try { new Function('return 1')() } catch (e) { evalRefused = e instanceof EvalError }
document.body.dataset.app = 'ran'
document.body.dataset.eval = evalRefused ? 'refused' : 'allowed'`,
  },
  '/logo.svg': {
    type: 'image/svg+xml',
    body: '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#0b3d91"/></svg>',
  },
}

let server: Server
let base: string
let browser: Browser
type CspReport = { 'document-uri': string; 'violated-directive': string; 'effective-directive'?: string; 'blocked-uri': string }
const reports: CspReport[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/csp-report') {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => { reports.push(JSON.parse(Buffer.concat(chunks).toString('utf8'))['csp-report']); res.writeHead(204).end() })
      return
    }
    const page = pages[new URL(req.url ?? '/', 'http://x').pathname]
    if (!page) { res.writeHead(404, { 'content-security-policy': CSP }).end('not found'); return }
    res.writeHead(200, { 'content-type': page.type, 'content-security-policy': CSP, 'cache-control': 'no-store' }).end(page.body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
})

/** A fresh page at `path`, and the CSP header it came with. */
async function open(path: string): Promise<{ page: Page; csp: string | undefined }> {
  const page = await newPage(browser)
  const response = await page.goto(base + path, { waitUntil: 'load' })
  return { page, csp: response?.headers()['content-security-policy'] }
}

/** The CSP reports for `path` that match, once the browser has sent them (it does so shortly after the refusal). */
async function reportsFor(path: string, match: (r: CspReport) => boolean): Promise<CspReport[]> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const found = reports.filter((r) => new URL(r['document-uri']).pathname === path && match(r))
    if (found.length > 0 || Date.now() > deadline) return found
    await new Promise((r) => setTimeout(r, 100))
  }
}
const directive = (r: CspReport) => r['effective-directive'] ?? r['violated-directive']

describe('browser harness', () => {
  it('serves pages under the strict CSP: scripts from self run, inline scripts and eval are refused', async () => {
    const good = await open('/good')
    try {
      expect(good.csp).toBe(CSP)
      expect(await good.page.locator('#status').textContent()).toBe('Prêt')
      expect(await good.page.locator('body').getAttribute('data-app')).toBe('ran')
      expect(await good.page.locator('body').getAttribute('data-eval')).toBe('refused')
      expect(await reportsFor('/good', (r) => r['blocked-uri'] === 'eval')).not.toEqual([])
    } finally {
      await good.page.context().close()
    }
    const bad = await open('/bad')
    try {
      expect(bad.csp).toBe(CSP)
      expect(await bad.page.locator('body').getAttribute('data-app')).toBe('ran')
      expect(await bad.page.locator('body').getAttribute('data-inline')).toBeNull()
      expect(await reportsFor('/bad', (r) => directive(r).startsWith('script-src') && r['blocked-uri'] === 'inline')).not.toEqual([])
    } finally {
      await bad.page.context().close()
    }
  })

  it('runs axe under that CSP: the clean page has no serious or critical violations', async () => {
    const { page } = await open('/good')
    try {
      expect(await checkAccessibility(page, 'good page')).toEqual([])
      await expectAccessible(page, 'good page')
      // axe came in through the debugger, not through the page: the policy still refuses the page's own eval.
      expect(await page.locator('body').getAttribute('data-eval')).toBe('refused')
    } finally {
      await page.context().close()
    }
  })

  it('fails the page with planted faults, naming the rules and elements', async () => {
    const { page } = await open('/bad')
    try {
      const violations = await checkAccessibility(page, 'bad page')
      const ids = violations.map((v) => v.id)
      expect(ids).toEqual(expect.arrayContaining(['image-alt', 'label', 'color-contrast']))
      for (const v of violations) expect(['serious', 'critical']).toContain(v.impact)
      const contrast = violations.find((v) => v.id === 'color-contrast')!
      expect(contrast.nodes.map((n) => n.target)).toContain('.faint')
      expect(contrast.helpUrl).toMatch(/^https:\/\/dequeuniversity\.com\/rules\/axe\//)
      expect(contrast.nodes[0]?.failureSummary).toMatch(/contrast/i)
      // axe ran on the CSP page, and the page's inline script still did not.
      expect(await page.locator('body').getAttribute('data-inline')).toBeNull()

      const failure = await expectAccessible(page, 'bad page').then(() => null, (error: Error) => error)
      expect(failure).toBeInstanceOf(Error)
      expect(failure!.message).toContain('image-alt')
      expect(failure!.message).toContain('label')
      expect(failure!.message).toContain('color-contrast')
      expect(failure!.message).toContain('.faint')
    } finally {
      await page.context().close()
    }
  })

  it('takes full-page screenshots at desktop and phone width', async () => {
    const { page } = await open('/good')
    try {
      for (const [size, width] of [['desktop', 1280], ['phone', 390]] as const) {
        const file = await screenshot(page, 'browser-harness', size)
        expect(file).toMatch(new RegExp(`\\.facteur/screenshots/browser-harness-${size}\\.png$`))
        const png = await readFile(file)
        // PNG signature, then the IHDR chunk: width and height as big-endian 32-bit integers at bytes 16 and 20.
        expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
        expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR')
        expect(png.readUInt32BE(16)).toBe(width)
        expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(size === 'desktop' ? 800 : 844)
      }
    } finally {
      await page.context().close()
    }
  })
})
