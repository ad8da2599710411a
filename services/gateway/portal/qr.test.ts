import QRCode from 'qrcode'
import { describe, expect, test } from 'vitest'
import { qrSvg } from './qr.js'

const uri = 'otpauth://totp/Facteur:alice%40acme.fr?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Facteur'

/** The dark modules drawn by the SVG's stroked path (qrcode draws each row's dark runs as `M x y h n` / `m dx 0 h n`). */
function drawnModules(svg: string, margin = 4): { size: number; dark: boolean[] } {
  const viewBox = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)
  const path = /<path stroke="#000000" d="([^"]*)"\/>/.exec(svg)
  if (!viewBox || !path) throw new Error('no viewBox or no dark path')
  const size = Number(viewBox[1]) - 2 * margin
  const dark = Array<boolean>(size * size).fill(false)
  let x = 0
  let y = 0
  for (const [, command, a, b] of path[1]!.matchAll(/([MmHh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    if (command === 'M') { x = Number(a); y = Number(b) } else if (command === 'm') { x += Number(a); y += Number(b) } else if (command === 'h') {
      for (let i = 0; i < Number(a); i++) dark[(y - 0.5 - margin) * size + x - margin + i] = true
      x += Number(a)
    } else throw new Error(`unexpected path command ${command}`)
  }
  return { size, dark }
}

describe('QR codes as SVG', () => {
  test('an image with a title for screen readers, and no inline style (the CSP would block it)', async () => {
    const svg = await qrSvg(uri, 'Scan with your authenticator app')
    expect(svg).toMatch(/^<svg role="img" aria-label="Scan with your authenticator app" xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+"[^>]*><title>Scan with your authenticator app<\/title><path [^<]*\/><path [^<]*\/><\/svg>$/)
    expect(svg).not.toMatch(/style/i)
  })

  test('the title is escaped', async () => {
    const svg = await qrSvg('x', 'Tom & "Jerry" <3')
    expect(svg).toContain('aria-label="Tom &amp; &quot;Jerry&quot; &lt;3"')
    expect(svg).toContain('<title>Tom &amp; &quot;Jerry&quot; &lt;3</title>')
    expect(svg).not.toContain('<3')
  })

  test('draws exactly the modules of the QR code of the text (error correction M)', async () => {
    const expected = QRCode.create(uri, { errorCorrectionLevel: 'M' }).modules
    const drawn = drawnModules(await qrSvg(uri, 'TOTP'))
    expect(drawn.size).toBe(expected.size)
    expect(drawn.dark).toEqual([...expected.data].map(Boolean))
  })

  test('another text, another drawing; a longer text, more modules', async () => {
    const a = drawnModules(await qrSvg(uri, 'TOTP'))
    const b = drawnModules(await qrSvg(uri.replace('alice', 'alicf'), 'TOTP'))
    expect(b.size).toBe(a.size)
    expect(b.dark).not.toEqual(a.dark)
    const longer = drawnModules(await qrSvg(`${uri}&image=${'x'.repeat(200)}`, 'TOTP'))
    expect(longer.size).toBeGreaterThan(a.size)
    expect(longer.size).toBe(QRCode.create(`${uri}&image=${'x'.repeat(200)}`, { errorCorrectionLevel: 'M' }).modules.size)
  })
})
