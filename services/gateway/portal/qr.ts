// QR codes for the portal's pages (the TOTP enrolment URI), as inline SVG. qrcode's SVG uses presentation
// attributes only (fill=, stroke=, shape-rendering=), no style attribute or <style> element, so it renders under
// a Content-Security-Policy without 'unsafe-inline' for styles. It has a viewBox and no width: the page's
// stylesheet sizes it.
import QRCode from 'qrcode'

const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`)

/** `text` as an SVG QR code (error correction M, the usual 4-module quiet zone), an image named `title` for screen readers. */
export async function qrSvg(text: string, title: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M' })
  if (/\sstyle=|<style/i.test(svg)) throw new Error('qrcode now writes inline styles, which the portal\'s CSP blocks')
  const label = escapeXml(title)
  const open = /^<svg\b([^>]*)>/.exec(svg)
  if (!open) throw new Error(`qrcode wrote something other than an <svg> element: ${svg.slice(0, 40)}`)
  return `<svg role="img" aria-label="${label}"${open[1]}><title>${label}</title>${svg.slice(open[0].length).trimEnd()}`
}
