// An invoice view drawn as a readable PDF, for recipients and people without an XML system: a header band with
// the document's title and number, the two parties, the references, the lines (over as many pages as they need,
// the table header repeated), allowances and charges, the VAT breakdown beside the totals, the payment details
// and the notes; "1 / 3" page numbers in every footer. A4, sober: one accent colour, amounts right-aligned and
// formatted in the invoice's currency with the locale's separators.
//
// renderInvoicePdf gives the PDF's bytes; drawInvoice draws into a document the caller owns, so facturx-out.ts
// can make the same pages a PDF/A-3 without reparsing them.
import { PDFDocument, rgb, type PDFPage } from '@cantoo/pdf-lib'
import { embedFonts, type Fonts } from './fonts.js'
import type { InvoiceView, PartyView } from './invoice-view.js'
import {
  codeName, creditNoteTypes, documentTypes, formatDate, formatIban, formatMoney, formatNumber, formatRate, identifier,
  labels, paymentMeans, units, vatCategories, type Labels, type Lang,
} from './labels.js'
import {
  A4, boxed, columns, contentWidth, grey, lineHeight, place, placeTable, row, rule, spacer, stack, startFlow, text,
  type Block, type Cell, type Flow, type Margins, type TextStyle,
} from './layout.js'

export type RenderOptions = {
  lang?: Lang          // labels and number formats; French by default
  now?: Date           // the PDF's creation date (Info /CreationDate); the current time by default
}

const colors = {
  accent: rgb(0.13, 0.24, 0.38),
  onAccent: rgb(1, 1, 1),
  onAccentMuted: rgb(0.78, 0.83, 0.9),
  ink: grey(0.1),
  muted: grey(0.42),
  panel: rgb(0.95, 0.96, 0.975),
  rule: grey(0.82),
}
const margins: Margins = { top: 36, right: 40, bottom: 54, left: 40 }

/** The invoice as PDF bytes (PDF 1.7, fonts embedded). */
export async function renderInvoicePdf(view: InvoiceView, options: RenderOptions = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false })
  const lang = options.lang ?? 'fr'
  await drawInvoice(doc, view, lang)
  const now = options.now ?? new Date()
  doc.setTitle(documentTitle(view, lang))
  doc.setAuthor(view.seller.name)
  doc.setCreator('Facteur')
  doc.setProducer('Facteur (@cantoo/pdf-lib)')
  doc.setCreationDate(now)
  doc.setModificationDate(now)
  doc.setLanguage(lang)
  return doc.save()
}

/** "Facture FCT-2026-0001" / "Credit note AV-2026-0003": the title of the document and of its PDF. */
export function documentTitle(view: InvoiceView, lang: Lang): string {
  return `${kind(view, labels[lang])} ${view.number}`
}

const isCredit = (view: InvoiceView) => creditNoteTypes.has(view.typeCode) || view.syntax === 'UBL CreditNote'
const kind = (view: InvoiceView, l: Labels) => (isCredit(view) ? l.creditNote : view.typeCode === '' ? l.document : l.invoice)

/** Draws the invoice on new pages of `doc`, and the footers once the page count is known. */
export async function drawInvoice(doc: PDFDocument, view: InvoiceView, lang: Lang): Promise<void> {
  const c: Context = { view, lang, l: labels[lang], s: styles(await embedFonts(doc)), width: contentWidth({ margins }) }
  const flow = startFlow(doc, margins, (page) => continuationHeader(page, c))
  place(flow, headerBand(c), 14)
  place(flow, parties(c), 12)
  const refs = references(c)
  if (refs) place(flow, refs, 14)
  linesTable(flow, c)
  allowancesCharges(flow, c)
  place(flow, summary(c), 14)
  notes(flow, c)
  footers(flow.pages, c)
}

/** What every part of the drawing reads: the invoice, its language's labels, the text styles, the content width. */
type Context = { view: InvoiceView; lang: Lang; l: Labels; s: Styles; width: number }

type Styles = Record<'title' | 'subtitle' | 'bandLabel' | 'bandValue' | 'section' | 'label' | 'inlineLabel' | 'body' | 'bold' | 'name' | 'small' | 'th' | 'payable' | 'footer', TextStyle>

function styles(f: Fonts): Styles {
  return {
    title: { font: f.bold, size: 20, color: colors.onAccent },
    subtitle: { font: f.regular, size: 10.5, color: colors.onAccent },
    bandLabel: { font: f.regular, size: 7.5, color: colors.onAccentMuted },
    bandValue: { font: f.bold, size: 10, color: colors.onAccent },
    section: { font: f.bold, size: 7.5, color: colors.accent },
    label: { font: f.regular, size: 7.5, color: colors.muted },
    inlineLabel: { font: f.regular, size: 9, color: colors.muted }, // beside a value: the same size, so one baseline
    body: { font: f.regular, size: 9, color: colors.ink },
    bold: { font: f.bold, size: 9, color: colors.ink },
    name: { font: f.bold, size: 11, color: colors.ink },
    small: { font: f.regular, size: 7.5, color: colors.muted },
    th: { font: f.bold, size: 8, color: colors.ink },
    payable: { font: f.bold, size: 10.5, color: colors.onAccent },
    footer: { font: f.regular, size: 7, color: colors.muted },
  }
}

/** A section's title in small capitals, with a muted remark after it ("montants en EUR"). */
function sectionTitle(title: string, remark: string | null, s: Styles, width: number): Block {
  const head = title.toUpperCase()
  const line: Block = remark === null ? text(head, s.section, width) : {
    height: text(head, s.section, width).height,
    draw(page, x, top) {
      text(head, s.section, width).draw(page, x, top)
      const after = s.section.font.widthOfTextAtSize(`${head}  `, s.section.size)
      text(`· ${remark}`, s.label, width - after).draw(page, x + after, top)
    },
  }
  return stack([line, spacer(5)])
}

// ---- first page: header band, parties, references ----

function headerBand({ view, l, s, lang }: Context): Block {
  const width = A4[0]
  const facts: [string, string][] = [
    [l.issueDate, view.issueDate ? formatDate(view.issueDate, lang) : '—'],
    ...(view.dueDate ? [[l.dueDate, formatDate(view.dueDate, lang)] as [string, string]] : []),
    [l.currency, view.currency],
  ]
  const factWidth = 92
  const height = 58
  return {
    height,
    draw(page, _x, top) {
      // The band runs from the paper's top edge; what is in it is centred in it and keeps to the side margins.
      const bottom = top - height
      const middle = (A4[1] + bottom) / 2
      page.drawRectangle({ x: 0, y: bottom, width, height: A4[1] - bottom, color: colors.accent })
      const title = stack([text(kind(view, l).toUpperCase(), s.title, 260), spacer(2), text(`${l.number} ${view.number}`, s.subtitle, 260)])
      title.draw(page, margins.left, middle + title.height / 2)
      facts.forEach(([label, value], i) => {
        const x = width - margins.right - (facts.length - i) * factWidth
        const fact = stack([text(label, s.bandLabel, factWidth - 8, 'right'), spacer(2), text(value, s.bandValue, factWidth - 8, 'right')])
        fact.draw(page, x + 8, middle + fact.height / 2)
      })
    },
  }
}

function continuationHeader(page: PDFPage, { view, l, s, lang }: Context): number {
  const height = 14
  const bottom = A4[1] - margins.top - height
  const middle = (A4[1] + bottom) / 2
  page.drawRectangle({ x: 0, y: bottom, width: A4[0], height: A4[1] - bottom, color: colors.accent })
  const title = text(`${documentTitle(view, lang)} (${l.continued})`, s.bandValue, 300)
  title.draw(page, margins.left, middle + title.height / 2)
  const seller = text(view.seller.name, { ...s.bandLabel, size: 8.5 }, 240, 'right')
  seller.draw(page, A4[0] - margins.right - 240, middle + seller.height / 2)
  return height + 16
}

function parties(c: Context): Block {
  const { view, l, width } = c
  const gap = 14
  const half = (width - gap) / 2
  const [seller, buyer] = [partyBlock(l.seller, view.seller, c, half - 20), partyBlock(l.buyer, view.buyer, c, half - 20)]
  // Two panels as tall as the taller card.
  const height = Math.max(seller.height, buyer.height)
  const panel = (card: Block) => boxed({ height, draw: card.draw }, { width: half, padding: 10, fill: colors.panel })
  return columns([{ block: panel(seller), offset: 0 }, { block: panel(buyer), offset: half + gap }])
}

function partyBlock(title: string, p: PartyView, { l, s, lang }: Context, width: number): Block {
  const country = (code: string) => regionName(code, lang)
  const address = p.address.map((line, i) => (i === p.address.length - 1 && /^[A-Z]{2}$/.test(line) ? country(line) : line))
  const ids: string[] = []
  if (p.legalId) ids.push(`${l.legalId}${colon(lang)}${identifier(p.legalId.value, p.legalId.scheme)}`)
  for (const id of p.identifiers) ids.push(identifier(id.value, id.scheme))
  if (p.vatId) ids.push(`${l.vatId}${colon(lang)}${p.vatId}`)
  const sameAsLegal = p.endpoint && p.legalId && p.endpoint.value === p.legalId.value && p.endpoint.scheme === p.legalId.scheme
  if (p.endpoint && !sameAsLegal) ids.push(`${l.endpoint}${colon(lang)}${identifier(p.endpoint.value, p.endpoint.scheme)}`)
  if (p.email) ids.push(p.email)
  return stack([
    text(title.toUpperCase(), s.section, width),
    spacer(4),
    text(p.name || '—', s.name, width),
    p.legalName ? text(p.legalName, s.body, width) : spacer(0),
    spacer(3),
    text(address, s.body, width),
    spacer(5),
    text(ids, s.small, width),
  ])
}

// French typography puts a no-break space before a colon; English none.
const colon = (lang: Lang) => (lang === 'fr' ? '\u00A0: ' : ': ')

function regionName(code: string, lang: Lang): string {
  try {
    return new Intl.DisplayNames([lang === 'fr' ? 'fr-FR' : 'en-GB'], { type: 'region' }).of(code) ?? code
  } catch {
    return code
  }
}

function references({ view, l, s, lang, width }: Context): Block | null {
  const facts: [string, string][] = []
  const add = (label: string, value: string | null) => { if (value) facts.push([label, value]) }
  add(l.typeCode, codeName(documentTypes, view.typeCode, lang))
  add(l.buyerReference, view.buyerReference)
  add(l.orderReference, view.orderReference)
  add(l.contractReference, view.contractReference)
  add(l.projectReference, view.projectReference)
  add(l.precedingInvoice, view.precedingInvoices.join(', ') || null)
  add(l.deliveryDate, view.deliveryDate && formatDate(view.deliveryDate, lang))
  if (facts.length === 0) return null
  const perRow = 4
  const cell = width / perRow
  const rows: Block[] = []
  for (let i = 0; i < facts.length; i += perRow) {
    rows.push(columns(facts.slice(i, i + perRow).map(([label, value], j) => ({
      block: stack([text(label, s.label, cell - 10), spacer(1), text(value, s.bold, cell - 10)]),
      offset: j * cell,
    }))))
  }
  return stack([stack(rows, 8), spacer(10), rule(width, colors.rule)])
}

// ---- the lines, allowances and charges ----

function linesTable(flow: Flow, { view, l, s, lang, width }: Context): void {
  const fixed = [26, 48, 50, 70, 50, 76]
  const widths = [fixed[0]!, width - fixed.reduce((a, b) => a + b, 0), ...fixed.slice(1)]
  const header = row([
    { text: l.lineId, style: s.th }, { text: l.item, style: s.th }, { text: l.quantity, style: s.th, align: 'right' },
    { text: l.unit, style: s.th }, { text: l.unitPrice, style: s.th, align: 'right' }, { text: l.vat, style: s.th, align: 'right' },
    { text: l.lineNet, style: s.th, align: 'right' },
  ], widths, { padding: 5, fill: colors.panel, rule: colors.accent })
  const rows = view.lines.map((line) => row([
    { text: line.id, style: s.body },
    { text: line.name, style: s.body, ...(line.description ? { note: { text: line.description, style: s.small } } : {}) },
    { text: formatNumber(line.quantity, lang), style: s.body, align: 'right' },
    { text: line.unitCode ? (units[line.unitCode]?.[lang] ?? line.unitCode) : '', style: s.body },
    { text: line.unitPrice ? `${formatNumber(line.unitPrice, lang, 2)}${line.priceBaseQuantity ? ` / ${formatNumber(line.priceBaseQuantity, lang)}` : ''}` : '', style: s.body, align: 'right' },
    { text: vatCell(line.vatCategory, line.vatRate, lang), style: s.body, align: 'right' },
    { text: formatNumber(line.netAmount, lang, 2), style: s.bold, align: 'right' },
  ] satisfies Cell[], widths, { padding: 5, rule: colors.rule }))
  placeTable(flow, sectionTitle(l.lines, l.amountsIn(view.currency), s, width), header, rows, 12)
}

const vatCell = (category: string | null, rate: string | null, lang: Lang) =>
  [category, rate !== null ? formatRate(rate, lang) : null].filter((v) => v !== null).join(' ')

function allowancesCharges(flow: Flow, { view, l, s, lang, width }: Context): void {
  if (view.allowancesCharges.length === 0) return
  const widths = [90, width - 90 - 70 - 96, 70, 96]
  const header = row([
    { text: l.typeCode, style: s.th }, { text: l.reason, style: s.th }, { text: l.vat, style: s.th, align: 'right' },
    { text: l.amount, style: s.th, align: 'right' },
  ], widths, { padding: 5, fill: colors.panel, rule: colors.accent })
  const rows = view.allowancesCharges.map((ac) => row([
    { text: ac.charge ? l.charge : l.allowance, style: s.body },
    { text: ac.reason ?? '', style: s.body },
    { text: vatCell(ac.vatCategory, ac.vatRate, lang), style: s.body, align: 'right' },
    { text: `${ac.charge ? '' : '−'}${formatNumber(ac.amount, lang, 2)}`, style: s.bold, align: 'right' },
  ], widths, { padding: 5, rule: colors.rule }))
  placeTable(flow, sectionTitle(l.allowancesCharges, l.amountsIn(view.currency), s, width), header, rows, 12)
}

// ---- VAT breakdown and payment, beside the totals ----

function summary(c: Context): Block {
  const { view, l, s, lang, width } = c
  const totalsWidth = 214
  const gap = 24
  const vatWidth = width - totalsWidth - gap
  const widths = [vatWidth - 44 - 68 - 68, 44, 68, 68]
  const vat = stack([
    sectionTitle(l.vatBreakdown, l.amountsIn(view.currency), s, vatWidth),
    row([
      { text: l.vatCategory, style: s.th }, { text: l.vatRate, style: s.th, align: 'right' },
      { text: l.taxableAmount, style: s.th, align: 'right' }, { text: l.taxAmount, style: s.th, align: 'right' },
    ], widths, { padding: 5, fill: colors.panel, rule: colors.accent }),
    ...view.vatBreakdown.map((v) => row([
      { text: [codeName(vatCategories, v.category, lang), ...(v.exemptionReason ? [v.exemptionReason] : [])], style: s.body },
      { text: v.rate !== null ? formatRate(v.rate, lang) : '', style: s.body, align: 'right' },
      { text: formatNumber(v.taxableAmount, lang, 2), style: s.body, align: 'right' },
      { text: formatNumber(v.taxAmount, lang, 2), style: s.body, align: 'right' },
    ], widths, { padding: 5, rule: colors.rule })),
  ])
  const t = view.totals
  const money = (amount: string) => formatMoney(amount, view.currency, lang)
  const rows: [string, string | null, boolean][] = [
    [l.lineTotal, t.lineTotal && money(t.lineTotal), false],
    [l.allowanceTotal, t.allowanceTotal && `−${money(t.allowanceTotal)}`, false],
    [l.chargeTotal, t.chargeTotal && money(t.chargeTotal), false],
    [l.taxExclusive, t.taxExclusive && money(t.taxExclusive), true],
    [l.taxTotal, t.taxTotal && money(t.taxTotal), false],
    [l.taxInclusive, t.taxInclusive && money(t.taxInclusive), true],
    [l.prepaid, t.prepaid && `−${money(t.prepaid)}`, false],
    [l.rounding, t.rounding && money(t.rounding), false],
  ]
  const tw = [totalsWidth - 100, 100]
  const totals = stack([
    sectionTitle(l.totals, null, s, totalsWidth),
    ...rows.filter(([, value]) => value !== null).map(([label, value, strong]) => row([
      { text: label, style: strong ? s.bold : s.body },
      { text: value!, style: strong ? s.bold : s.body, align: 'right' },
    ], tw, { padding: 4, rule: colors.rule })),
    spacer(4),
    t.payable !== null
      ? row([{ text: isCredit(view) ? l.credited : l.payable, style: s.payable }, { text: money(t.payable), style: s.payable, align: 'right' }], tw, { padding: 7, fill: colors.accent })
      : spacer(0),
  ])
  const pay = payment(c, vatWidth)
  const left = pay ? stack([vat, spacer(16), pay]) : vat
  return columns([{ block: left, offset: 0 }, { block: totals, offset: vatWidth + gap }])
}

function payment({ view, l, s, lang }: Context, width: number): Block | null {
  const p = view.payment
  const facts: [string, string][] = []
  const add = (label: string, value: string | null | undefined) => { if (value) facts.push([label, value]) }
  add(l.paymentMeans, p.means.map((m) => `${codeName(paymentMeans, m.code, lang)}${m.text ? ` – ${m.text}` : ''}`).join(', '))
  for (const iban of p.ibans) add(l.iban, formatIban(iban))
  add(l.bic, p.bic)
  add(l.accountName, p.accountName)
  add(l.remittance, p.remittance)
  add(l.mandate, p.mandate)
  add(l.paymentTerms, p.terms)
  if (facts.length === 0) return null
  const labelWidth = 78
  return stack([
    sectionTitle(l.payment, null, s, width),
    boxed(stack(facts.map(([label, value]) => columns([
      { block: text(label, s.inlineLabel, labelWidth - 8), offset: 0 },
      { block: text(value, label === l.iban ? s.bold : s.body, width - 20 - labelWidth), offset: labelWidth },
    ])), 4), { width, padding: 10, fill: colors.panel }),
  ])
}

// ---- notes; footers, once the page count is known ----

/** The notes (BT-22), each kept whole; the title stays with the first. */
function notes(flow: Flow, { view, l, s, width }: Context): void {
  const [first, ...rest] = view.notes.map((n) => text(n, s.body, width))
  if (!first) return
  place(flow, stack([sectionTitle(l.notes, null, s, width), first]), 3)
  for (const note of rest) place(flow, note, 3)
}

// ---- footers, once the page count is known ----

function footers(pages: PDFPage[], { view, l, s }: Context): void {
  const width = A4[0] - margins.left - margins.right
  const syntax = { 'UBL Invoice': 'UBL 2.1 (Invoice)', 'UBL CreditNote': 'UBL 2.1 (CreditNote)', CII: 'UN/CEFACT CII D16B' }[view.syntax]
  pages.forEach((page, i) => {
    const top = margins.bottom - 16
    rule(width, colors.rule).draw(page, margins.left, top + 8)
    text(`${view.number} · ${view.seller.name}`, s.footer, width - 80).draw(page, margins.left, top)
    text(l.footer(syntax), s.footer, width - 80).draw(page, margins.left, top - lineHeight(s.footer))
    text(`${i + 1} / ${pages.length}`, { ...s.footer, font: s.bold.font }, 80, 'right').draw(page, margins.left + width - 80, top)
  })
}
