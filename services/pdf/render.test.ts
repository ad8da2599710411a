// The rendered PDF read back as a person's PDF reader reads it: its text, extracted with Mozilla's pdf.js
// (pdfjs-dist) line by line, holds every value of the fixtures in French and in English, with the locale's number
// and date formats; a long invoice runs over pages with the table header repeated and "2 / 3" footers; every font
// is embedded; nothing is drawn outside the margins.
import { describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, PDFStream } from '@cantoo/pdf-lib'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { largeUblInvoice } from '../../test/large-invoice.js'
import { readInvoiceView, type InvoiceView } from './invoice-view.js'
import { renderInvoicePdf } from './render.js'
import type { Lang } from './labels.js'

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url)))
const viewOf = (xml: Buffer | string): InvoiceView => {
  const read = readInvoiceView(Buffer.from(xml))
  if (!read.ok) throw new Error(read.reason)
  return read.view
}

type TextItem = { str: string; x: number; y: number; width: number }

/** Each page's text as lines (items of one baseline, left to right), spaces normalised (U+202F, U+00A0 → space). */
async function pdfText(pdf: Uint8Array): Promise<{ lines: string[][]; items: TextItem[][] }> {
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise
  const lines: string[][] = []
  const items: TextItem[][] = []
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent()
    const page = content.items.flatMap((i) => ('str' in i && i.str.trim() !== '' ? [{ str: i.str.replace(/[\u202F\u00A0]/g, ' '), x: i.transform[4] as number, y: i.transform[5] as number, width: i.width }] : []))
    // Items whose baselines are within 2.5 pt make one line (rows are at least 9 pt apart).
    const rows: TextItem[][] = []
    for (const item of [...page].sort((a, b) => b.y - a.y)) {
      const last = rows.at(-1)
      if (last && last[0]!.y - item.y <= 2.5) last.push(item)
      else rows.push([item])
    }
    lines.push(rows.map((row) => row.sort((a, b) => a.x - b.x).map((i) => i.str).join(' ')))
    items.push(page)
  }
  await doc.destroy()
  return { lines, items }
}

const render = (view: InvoiceView, lang: Lang) => renderInvoicePdf(view, { lang, now: new Date('2026-11-29T10:00:00Z') })

const cases: [string, Lang, string[]][] = [
  ['ubl-invoice.xml', 'fr', [
    'FACTURE', 'N° FCT-2026-0001', 'Date d’émission Échéance Devise', '20/11/2026 20/12/2026 EUR',
    'VENDEUR ACHETEUR', 'Atelier Numérique du Rhône Mairie de Démo', 'Atelier Numérique du Rhône SAS Commune de Démo',
    "12 rue de la République Place de l'Hôtel de Ville", '69002 Lyon 75004 Paris', 'France France',
    'Identifiant légal : SIRET 73282932000074 Identifiant légal : SIRET 21750001600019', 'N° TVA : FR44732829320',
    'Type Réf. acheteur / code service Commande / engagement', 'Facture (380) SERV-FIN-01 EJ-2026-000042',
    'LIGNES DE FACTURE · montants en EUR', 'N° Désignation Qté Unité Prix unit. HT TVA Montant HT',
    '1 Développement du portail citoyen 5 jour 200,00 S 20 % 1 000,00', '2 Formation des agents 5 heure 50,00 S 20 % 250,00',
    'Taux normal (S) 20 % 1 250,00 250,00', 'Total des lignes HT 1 250,00 €', 'Total HT 1 250,00 €', 'Total TVA 250,00 €',
    'Total TTC 1 500,00 €', 'Net à payer 1 500,00 €',
    'Moyen Virement (30)', 'IBAN FR76 3000 6000 0112 3456 7890 189',
    'FCT-2026-0001 · Atelier Numérique du Rhône 1 / 1', 'Représentation lisible de la facture électronique UBL 2.1 (Invoice)',
  ]],
  ['ubl-creditnote.xml', 'fr', [
    'AVOIR', 'N° AV-2026-0003', 'Avoir (381) SERV-FIN-01 EJ-2026-000042', '1 Développement du portail citoyen 5 jour 200,00 S 20 % 1 000,00',
    'Montant de l’avoir 1 500,00 €', 'Représentation lisible de la facture électronique UBL 2.1 (CreditNote)',
  ]],
  ['cii-invoice.xml', 'en', [
    'INVOICE', 'No. FCT-CII-2026-0007', 'Issue date Due date Currency', '21 Nov 2026 21 Dec 2026 EUR',
    'SELLER BUYER', 'Lumière et Réseaux SARL Communauté de communes de Démo', '4 quai Duguay-Trouin 69100 Villeurbanne',
    'Legal identifier: SIRET 35600000000048', 'Legal identifier: SIRET 21690123100011', 'VAT no.: FR32356000000',
    'Invoice (380) SERV-TECH EJ-2026-000777', 'No. Item Qty Unit Unit price VAT Net amount',
    "1 Maintenance du réseau d'éclairage public 10 hour 120.00 S 20% 1,200.00",
    'Standard rate (S) 20% 1,200.00 240.00', 'Sum of line net amounts €1,200.00', 'Total without VAT €1,200.00', 'Total VAT €240.00',
    'Total with VAT €1,440.00', 'Amount due €1,440.00', 'Means Credit transfer (30)', 'IBAN FR76 3000 4000 0312 3456 7890 143',
    'FCT-CII-2026-0007 · Lumière et Réseaux SARL 1 / 1', 'Readable rendering of the electronic invoice UN/CEFACT CII D16B',
  ]],
]

describe('renderInvoicePdf', () => {
  test.each(cases)('%s in %s: every value is in the text a PDF reader extracts', async (name, lang, expected) => {
    const { lines } = await pdfText(await render(viewOf(fixture(name)), lang))
    expect(lines).toHaveLength(1)
    const text = lines[0]!.join('\n')
    for (const line of expected) expect(text).toContain(line)
  })

  test('a 70-line invoice runs over 3 pages: every line once and in order, the table header and a running header repeated, "n / 3" footers, the totals on the last page', async () => {
    const pdf = await render(viewOf(largeUblInvoice(70)), 'fr')
    const { lines } = await pdfText(pdf)
    expect(lines).toHaveLength(3)
    lines.forEach((page, i) => {
      expect(page).toContain('N° Désignation Qté Unité Prix unit. HT TVA Montant HT')
      expect(page.join('\n')).toContain(`FCT-2026-LARGE · Atelier Numérique du Rhône ${i + 1} / 3`)
      if (i > 0) expect(page.join('\n')).toContain('Facture FCT-2026-LARGE (suite) Atelier Numérique du Rhône')
    })
    const rows = lines.flat().filter((l) => / Développement du portail citoyen 5 jour 200,00 S 20 % 1 000,00$/.test(l))
    expect(rows.map((l) => Number(l.split(' ')[0]))).toEqual(Array.from({ length: 70 }, (_, i) => i + 1))
    expect(lines[2]!.join('\n')).toContain('Net à payer 84 000,00 €')
    expect(lines[0]!.join('\n')).not.toContain('Net à payer')
  })

  test('shows the optional parts: allowances and charges, paid amount, BIC, payment terms and reference, notes; a character the font lacks becomes "?"', async () => {
    const base = viewOf(fixture('cii-invoice.xml'))
    const view: InvoiceView = {
      ...base,
      seller: { ...base.seller, name: 'Lumière & Réseaux 发票', email: 'factures@lumiere.example' },
      buyer: { ...base.buyer, name: 'Δήμος Δοκιμής' },
      contractReference: 'MARCHE-2026-12',
      precedingInvoices: ['FCT-CII-2026-0001'],
      notes: ['Pénalités de retard : trois fois le taux d’intérêt légal.', 'Indemnité forfaitaire pour frais de recouvrement : 40 €.'],
      allowancesCharges: [
        { charge: false, amount: '100.00', reason: 'Remise commerciale', vatCategory: 'S', vatRate: '20' },
        { charge: true, amount: '12.50', reason: 'Frais de port', vatCategory: 'S', vatRate: '20' },
      ],
      totals: { ...base.totals, allowanceTotal: '100.00', chargeTotal: '12.50', prepaid: '440.00' },
      payment: { ...base.payment, bic: 'BNPAFRPP', accountName: 'Lumière et Réseaux', terms: 'Paiement à 30 jours', remittance: 'RF18539007547034' },
    }
    const text = (await pdfText(await render(view, 'fr'))).lines.flat().join('\n')
    for (const line of [
      'Lumière & Réseaux ?? Δήμος Δοκιμής', 'factures@lumiere.example', 'Type Réf. acheteur / code service Commande / engagement Contrat', 'Facture (380) SERV-TECH EJ-2026-000777 MARCHE-2026-12',
      'Facture d’origine\nFCT-CII-2026-0001',
      'REMISES ET FRAIS · montants en EUR', 'Type Motif TVA Montant', 'Remise Remise commerciale S 20 % −100,00', 'Frais Frais de port S 20 % 12,50',
      'Total des remises −100,00 €', 'Total des frais 12,50 €', 'Déjà payé −440,00 €',
      'BIC BNPAFRPP', 'Titulaire Lumière et Réseaux', 'Référence RF18539007547034', 'Conditions Paiement à 30 jours',
      'NOTES', 'Pénalités de retard : trois fois le taux d’intérêt légal.', 'Indemnité forfaitaire pour frais de recouvrement : 40 €.',
    ]) expect(text).toContain(line)
  })

  test('draws nothing outside the side margins, and nothing in the bottom margin but the footer', async () => {
    for (const xml of [fixture('ubl-invoice.xml'), Buffer.from(largeUblInvoice(70))]) {
      const { items } = await pdfText(await render(viewOf(xml), 'en'))
      for (const item of items.flat()) {
        expect(item.x, item.str).toBeGreaterThanOrEqual(40 - 0.01)
        expect(item.x + item.width, item.str).toBeLessThanOrEqual(595.28 - 40 + 0.01)
      }
      const body = items.flat().filter((i) => i.y < 54 && !/ \/ \d+$|^\d+ \/ \d+$|·|Readable rendering/.test(i.str))
      expect(body.map((i) => i.str)).toEqual([])
    }
  })

  test('embeds every font (DejaVu Sans Condensed subsets, TrueType in a Type 0 font), no standard-14 font', async () => {
    const doc = await PDFDocument.load(await render(viewOf(fixture('ubl-invoice.xml')), 'fr'))
    const fonts = doc.getPages().flatMap((page) => {
      const resources = page.node.Resources()!
      const dict = resources.lookup(PDFName.of('Font'), PDFDict)
      return dict.values().map((ref) => doc.context.lookup(ref as PDFRef, PDFDict))
    }).filter((font, i, all) => all.indexOf(font) === i)
    expect(fonts.length).toBe(2)
    for (const font of fonts) {
      expect(font.get(PDFName.of('Subtype'))).toBe(PDFName.of('Type0'))
      expect(font.get(PDFName.of('BaseFont'))?.toString()).toMatch(/DejaVuSansCondensed/)
      const cid = doc.context.lookup(font.lookup(PDFName.of('DescendantFonts'), PDFArray).get(0), PDFDict)
      expect(cid.get(PDFName.of('Subtype'))).toBe(PDFName.of('CIDFontType2'))
      const descriptor = cid.lookup(PDFName.of('FontDescriptor'), PDFDict)
      expect(descriptor.lookup(PDFName.of('FontFile2'))).toBeInstanceOf(PDFStream)
    }
  })

  test('sets the title, author and dates of the PDF', async () => {
    const doc = await PDFDocument.load(await render(viewOf(fixture('ubl-creditnote.xml')), 'en'), { updateMetadata: false })
    expect(doc.getTitle()).toBe('Credit note AV-2026-0003')
    expect(doc.getAuthor()).toBe('Atelier Numérique du Rhône')
    expect(doc.getCreationDate()?.toISOString()).toBe('2026-11-29T10:00:00.000Z')
  })
})
