// veraPDF's verdict on the Factur-X files this folder writes: PDF/A-3B compliant, for the CII fixture in both
// languages and for a harder one (many lines over several pages, markup characters in names, scripts the font
// has and one it lacks, notes, allowances, the MINIMUM profile's /Data relationship). The plain rendering, which
// is not a PDF/A, is the control: veraPDF must name the rules that pdfa.ts exists for. Java and, on the first run,
// Maven are needed (test/verapdf.ts); without them the tests are skipped and say why.
import { afterAll, describe, expect, test } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { verapdf, veraPdfAvailable, type VeraPdfResult } from '../../test/verapdf.js'
import { facturXFromCii, type FacturXOptions } from './facturx-out.js'
import { readInvoiceView } from './invoice-view.js'
import { renderInvoicePdf } from './render.js'

const available = veraPdfAvailable()
if (!available.ok) console.warn(`veraPDF tests skipped: ${available.reason}`)

const cii = readFileSync(fileURLToPath(new URL('../../test/fixtures/cii-invoice.xml', import.meta.url)), 'utf8')
const dir = mkdtempSync(join(tmpdir(), 'facteur-verapdf-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The CII fixture with its line repeated `lines` times (totals recomputed) and names that test the writer. */
function demandingCii(lines: number): string {
  const start = cii.indexOf('    <ram:IncludedSupplyChainTradeLineItem>')
  const end = cii.indexOf('</ram:IncludedSupplyChainTradeLineItem>') + '</ram:IncludedSupplyChainTradeLineItem>\n'.length
  const line = cii.slice(start, end)
  const body = Array.from({ length: lines }, (_, i) => line
    .replace('<ram:LineID>1</ram:LineID>', `<ram:LineID>${i + 1}</ram:LineID>`)
    .replace('<ram:Name>Maintenance', `<ram:Name>${i % 7 === 0 ? 'Éclairage &lt;LED&gt; &amp; mâts — Ωμέγα 照明, ' : ''}Maintenance`)).join('')
  const tail = cii.slice(end)
    .replaceAll('>1200.00<', `>${(1200 * lines).toFixed(2)}<`).replaceAll('>240.00<', `>${(240 * lines).toFixed(2)}<`).replaceAll('>1440.00<', `>${(1440 * lines).toFixed(2)}<`)
    .replace('<ram:Name>Lumière et Réseaux SARL</ram:Name>', '<ram:Name>Lumière &amp; Réseaux &lt;SARL&gt; « Δ »</ram:Name>')
    .replace('<ram:SpecifiedTradePaymentTerms>', '<ram:SpecifiedTradePaymentTerms><ram:Description>30 jours fin de mois</ram:Description>')
  return cii.slice(0, start)
    .replace('</ram:IssueDateTime>', '</ram:IssueDateTime><ram:IncludedNote><ram:Content>Pénalités de retard : 3 × le taux légal.</ram:Content></ram:IncludedNote>')
    + body + tail
}

async function validate(name: string, pdf: Uint8Array): Promise<VeraPdfResult> {
  const file = join(dir, name)
  writeFileSync(file, pdf)
  return verapdf(file, { flavour: '3b' })
}

async function facturX(xml: string, options: FacturXOptions = {}): Promise<Uint8Array> {
  const out = await facturXFromCii(Buffer.from(xml), { now: new Date('2026-11-29T10:00:00Z'), ...options })
  if (!out.ok) throw new Error(out.reason)
  return out.pdf
}

const failures = (result: VeraPdfResult) => result.failedRules.map((r) => `${r.clause}-${r.testNumber} ${r.description} ${r.messages.join('; ')}`)

describe.skipIf(!available.ok)('veraPDF on the Factur-X output', () => {
  test.each([['fr'], ['en']] as const)('the CII fixture (%s) is PDF/A-3B compliant', async (lang) => {
    const result = await validate(`fixture-${lang}.pdf`, await facturX(cii, { lang }))
    expect(failures(result)).toEqual([])
    expect(result).toMatchObject({ compliant: true, profile: 'PDF/A-3B validation profile' })
    expect(result.passedRules).toBeGreaterThan(100)
  })

  test('a 45-line invoice over several pages, with markup, Greek, a script the font lacks, notes and payment terms, is compliant', async () => {
    const pdf = await facturX(demandingCii(45))
    const result = await validate('demanding.pdf', pdf)
    expect(failures(result)).toEqual([])
    expect(result.compliant).toBe(true)
  })

  test('a MINIMUM profile invoice (/AFRelationship /Data) is compliant', async () => {
    const pdf = await facturX(cii.replace('<ram:ID>urn:cen.eu:en16931:2017</ram:ID>', '<ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID>'))
    expect(failures(await validate('minimum.pdf', pdf))).toEqual([])
  })

  test('the plain rendering is not a PDF/A, and veraPDF names what is missing: file identifiers, output intent, XMP metadata', async () => {
    const read = readInvoiceView(Buffer.from(cii))
    if (!read.ok) throw new Error(read.reason)
    const result = await validate('plain.pdf', await renderInvoicePdf(read.view))
    expect(result.compliant).toBe(false)
    expect(result.failedRules.map((r) => `${r.clause}-${r.testNumber}`).sort()).toEqual(['6.1.3-1', '6.2.4.3-2', '6.6.2.1-1'])
    expect(result.failedRules.every((r) => r.specification === 'ISO 19005-3:2012' && r.description.length > 20)).toBe(true)
  })
})
