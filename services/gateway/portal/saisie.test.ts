// Typed invoices (saisie.ts) are valid EN 16931 invoices: each one built here goes through the hub's own validation
// as a worker runs it (XML schema, then the EN 16931 CII rules and our fr-b2g rules on the native engine:
// validation/pipeline.ts) and must come out with no finding at all; its amounts are the ones computed by hand
// below, and read back the same by the hub's invoice reader (pdf/invoice-view.ts). A seller under the VAT franchise
// gets E lines with VATEX-FR-FRANCHISE and its SIREN as BT-32 (BR-E-02 fails without it); the notes carry the
// subject codes the French reform's pack asks for (BR-FR-05, BR-FR-06, run here by declaring a billing framework).
// Bad forms are refused field by field, with the words the page shows.
import { describe, expect, test } from 'vitest'
import { ensureArtefacts } from '../../validation/artefacts.js'
import { createPipeline } from '../../validation/pipeline.js'
import { readInvoiceView } from '../../pdf/invoice-view.js'
import { facturXFromCii } from '../../pdf/facturx-out.js'
import {
  buildCii, computeVat, decimalText, directoryFaults, fileNameOf, franchiseCode, franchiseReason, isValidIban, lineAmount, mentionDefaults, parseDate, parseDecimal, parseSaisie,
  roundHalfAway, roundXPath, vatFault,
  type BuyerInDirectory, type Invoice, type Values,
} from './saisie.js'
import { saisieMessages } from './saisie-i18n.js'

const SELLER = '73282932000074'
const BUYER = '21690123100011'
const TODAY = '2026-05-01'
const context = { structures: [SELLER], today: TODAY }

const pipeline = createPipeline(await ensureArtefacts(), { lazy: true })
const validate = (xml: string) => pipeline.validateBatch([{ text: xml }])[0]!

/** A complete form but for its lines. */
const header = (more: Values = {}): Values => ({
  structure: SELLER, sellerName: 'Dupont & Fils <SARL>', sellerLine: '3 rue des Lilas', sellerPostcode: '75011', sellerCity: 'Paris',
  sellerVat: 'FR44732829320', iban: 'FR76 3000 4000 0312 3456 7890 143',
  buyerSiret: BUYER, buyerName: 'Mairie de Démo', service: 'SERV-TECH', commitment: 'EJ-2026-000777',
  type: '380', number: 'F-2026-001', issueDate: '2026-04-15', dueDate: '2026-05-15', output: 'cii', ...more,
})
const lines = (...rows: [desc: string, qty: string, price: string, rate: string, unit?: string][]): Values =>
  Object.fromEntries(rows.flatMap(([desc, qty, price, rate, unit], i) => [
    [`l${i + 1}-desc`, desc], [`l${i + 1}-qty`, qty], [`l${i + 1}-price`, price], [`l${i + 1}-rate`, rate], [`l${i + 1}-unit`, unit ?? 'C62'],
  ]))
const built = (values: Values): Invoice => {
  const parsed = parseSaisie(values, context)
  if (!parsed.ok) throw new Error(`refused: ${JSON.stringify(parsed.faults)}`)
  return parsed.invoice
}

type Case = { name: string; values: Values; totals: Invoice['totals']; vat: [string, string, string, string][]; amounts: string[] }
const cases: Case[] = [
  {
    name: 'one line at 20 %',
    values: { ...header(), ...lines(['Maintenance de l\'éclairage public', '10', '120', '20', 'HUR']) },
    amounts: ['1200.00'], vat: [['S', '20', '1200.00', '240.00']],
    totals: { lineTotal: '1200.00', taxBasis: '1200.00', tax: '240.00', grand: '1440.00', due: '1440.00' },
  },
  {
    // 3 × 333.33 = 999.99 and 2.5 × 45.50 = 113.75 at 20 %: 1113.74 × 0.2 = 222.748 → 222.75;
    // 7 × 12.99 = 90.93 at 5.5 %: 5.00115 → 5.00 (rounded once per rate, BR-CO-17, not per line).
    name: 'several lines at two VAT rates, decimal commas and fractional quantities',
    values: { ...header(), ...lines(['Conseil', '3', '333,33', '20', 'DAY'], ['Livres', '7', '12.99', '5.5', 'H87'], ['Formation', '2,5', '45,50', '20', 'HUR']) },
    amounts: ['999.99', '90.93', '113.75'], vat: [['S', '20', '1113.74', '222.75'], ['S', '5.5', '90.93', '5.00']],
    totals: { lineTotal: '1204.67', taxBasis: '1204.67', tax: '227.75', grand: '1432.42', due: '1432.42' },
  },
  {
    name: 'a credit note correcting an invoice',
    values: { ...header({ type: '381', number: 'AV-2026-001', preceding: 'F-2026-001', dueDate: '', terms: 'Remboursement par virement sous 30 jours' }), ...lines(['Trop-perçu', '2', '150', '10']) },
    amounts: ['300.00'], vat: [['S', '10', '300.00', '30.00']],
    totals: { lineTotal: '300.00', taxBasis: '300.00', tax: '30.00', grand: '330.00', due: '330.00' },
  },
  {
    name: 'an exempt line beside a standard-rated one, no IBAN',
    values: { ...header({ iban: '', exemption: 'Exonération de TVA, article 261-4-4° du CGI' }), ...lines(['Formation professionnelle', '1', '800', '0'], ['Support de cours', '4', '25', '20']) },
    amounts: ['800.00', '100.00'], vat: [['S', '20', '100.00', '20.00'], ['E', '0', '800.00', '0.00']],
    totals: { lineTotal: '900.00', taxBasis: '900.00', tax: '20.00', grand: '920.00', due: '920.00' },
  },
  {
    name: 'a deduction as a negative quantity on an invoice, and the 2.1 % rate',
    values: { ...header({ service: '', commitment: '' }), ...lines(['Abonnement presse', '12', '41.6667', '2.1', 'MON'], ['Remise fidélité', '-1', '50', '2.1']) },
    // 12 × 41.6667 = 500.0004 → 500.00; − 50.00 = 450.00; 450 × 0.021 = 9.45.
    amounts: ['500.00', '-50.00'], vat: [['S', '2.1', '450.00', '9.45']],
    totals: { lineTotal: '450.00', taxBasis: '450.00', tax: '9.45', grand: '459.45', due: '459.45' },
  },
  {
    // The VAT number typed (with a wrong key), the rates chosen and the exemption reason are ignored under the franchise.
    name: 'a seller under the VAT franchise (art. 293 B du CGI): every line exempt, no VAT, and a free note',
    values: {
      ...header({ franchise: '1', sellerVat: 'FR45 732 829 320', exemption: 'Autre motif', note: 'Cours du trimestre d\'hiver.' }),
      ...lines(['Cours de piano', '4', '35', '20', 'HUR'], ['Partitions', '2', '12,50', '5.5', 'H87']),
    },
    amounts: ['140.00', '25.00'], vat: [['E', '0', '165.00', '0.00']],
    totals: { lineTotal: '165.00', taxBasis: '165.00', tax: '0.00', grand: '165.00', due: '165.00' },
  },
]
const franchiseCase = cases[5]!

describe('typed invoices pass the hub\'s validation with no finding, with the amounts computed by hand', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const invoice = built(c.values)
    expect(invoice.lines.map((l) => l.amount)).toEqual(c.amounts)
    expect(invoice.vat.map((g) => [g.category, g.rate, g.basis, g.tax])).toEqual(c.vat)
    expect(invoice.totals).toEqual(c.totals)
    const xml = buildCii(invoice)
    const verdict = validate(xml)
    expect(verdict.syntax).toBe('cii')
    expect(verdict.ran).toEqual(['xsd:cii', 'en16931-cii:1.3.16@native', 'fr-b2g:1.0.0@native'])
    expect(verdict.findings).toEqual([])
    expect(verdict.valid).toBe(true)
    // The hub's own reader finds the same invoice in it.
    const read = readInvoiceView(Buffer.from(xml))
    if (!read.ok) throw new Error(read.reason)
    const { view } = read
    expect({ number: view.number, type: view.typeCode, spec: view.specification, service: view.buyerReference, commitment: view.orderReference })
      .toEqual({ number: invoice.number, type: invoice.typeCode, spec: 'urn:cen.eu:en16931:2017', service: invoice.buyer.serviceCode, commitment: invoice.buyer.commitment })
    expect(view.seller.name).toBe('Dupont & Fils <SARL>')
    expect(view.buyer.legalId).toEqual({ value: BUYER, scheme: '0009' })
    expect(view.lines.map((l) => l.netAmount)).toEqual(c.amounts)
    expect({ lineTotal: view.totals.lineTotal, tax: view.totals.taxTotal, grand: view.totals.taxInclusive, due: view.totals.payable })
      .toEqual({ lineTotal: c.totals.lineTotal, tax: c.totals.tax, grand: c.totals.grand, due: c.totals.due })
  })

  test('the same validation does refuse a typed invoice whose totals were tampered with (the check can fail)', () => {
    const xml = buildCii(built(cases[1]!.values)).replace('<ram:GrandTotalAmount>1432.42<', '<ram:GrandTotalAmount>1432.43<')
    const verdict = validate(xml)
    expect(verdict.valid).toBe(false)
    expect(verdict.findings.filter((f) => f.severity === 'fatal').map((f) => f.ruleId)).toContain('BR-CO-15')
    // A breakdown's tax one cent off: the invoice's VAT total no longer adds up (BR-CO-14). BR-CO-17 itself allows
    // ±1 € around basis × rate in EN 16931 1.3.16, so the exact rounding is proved by the hand-computed amounts above.
    const offByOne = buildCii(built(cases[1]!.values)).replace('<ram:CalculatedAmount>5.00<', '<ram:CalculatedAmount>5.01<')
    expect(validate(offByOne).findings.map((f) => f.ruleId)).toEqual(['BR-CO-14'])
  })

  test('the credit note and the exempt breakdown carry what their rules ask (BT-25, BT-120)', () => {
    const credit = buildCii(built(cases[2]!.values))
    expect(credit).toContain('<ram:TypeCode>381</ram:TypeCode>')
    expect(credit).toMatch(/<ram:InvoiceReferencedDocument>\s*<ram:IssuerAssignedID>F-2026-001</)
    expect(credit).not.toContain('PayeePartyCreditorFinancialAccount><ram:IBANID>FR')
    const exempt = buildCii(built(cases[3]!.values))
    expect(exempt).toMatch(/<ram:ExemptionReason>Exonération de TVA, article 261-4-4° du CGI<\/ram:ExemptionReason>\s*<ram:BasisAmount>800.00</)
    expect(exempt).not.toContain('SpecifiedTradeSettlementPaymentMeans')
  })

  test('under the VAT franchise: no BT-31, the SIREN as BT-32 (FC), E lines at 0 %, the CGI wording and VATEX-FR-FRANCHISE', () => {
    const invoice = built(franchiseCase.values)
    expect(invoice.seller).toMatchObject({ vatId: null, taxRegistration: '732829320' })
    expect(invoice.lines.map((l) => [l.category, l.rate])).toEqual([['E', '0'], ['E', '0']])
    expect(invoice.vat).toEqual([{ category: 'E', rate: '0', basis: '165.00', tax: '0.00', exemptionReason: franchiseReason, exemptionCode: franchiseCode }])
    const xml = buildCii(invoice)
    expect(xml).not.toContain('schemeID="VA"')
    expect(xml).toMatch(/<ram:SpecifiedTaxRegistration>\s*<ram:ID schemeID="FC">732829320<\/ram:ID>/)
    expect(xml).toMatch(/<ram:ExemptionReason>TVA non applicable, art\. 293 B du CGI<\/ram:ExemptionReason>[\s\S]*<ram:CategoryCode>E<\/ram:CategoryCode>\s*<ram:ExemptionReasonCode>VATEX-FR-FRANCHISE<\/ram:ExemptionReasonCode>/)
    expect(xml.match(/<ram:CategoryCode>E<\/ram:CategoryCode>\s*<ram:RateApplicablePercent>0</g)).toHaveLength(2) // the two lines
    expect(xml.match(/<ram:CategoryCode>E</g)).toHaveLength(3) // and the one breakdown
    expect(xml).not.toContain('<ram:CategoryCode>S<')
    const read = readInvoiceView(Buffer.from(xml))
    if (!read.ok) throw new Error(read.reason)
    expect(read.view.seller.vatId).toBeNull()
    // BR-E-02: an exempt line needs BT-31, BT-32 or BT-63; without the SIREN as BT-32 the invoice is refused.
    const noTaxId = xml.replace(/<ram:SpecifiedTaxRegistration>\s*<ram:ID schemeID="FC">732829320<\/ram:ID>\s*<\/ram:SpecifiedTaxRegistration>/, '')
    expect(validate(noTaxId).findings.map((f) => [f.ruleId, f.severity])).toEqual([['BR-E-02', 'fatal'], ['BR-E-02', 'fatal']]) // once per line
    // BR-CL-22 checks the code against the CEF VATEX list: VATEX-FR-FRANCHISE passed it above, a made-up code does not.
    const unknownCode = xml.replace('VATEX-FR-FRANCHISE', 'VATEX-FR-293B')
    expect(validate(unknownCode).findings.map((f) => f.ruleId)).toContain('BR-CL-22')
  })

  test('notes: the free note (AAI) and the mentions (PMD, PMT, AAB), once each, defaults when not sent, as typed otherwise', () => {
    const notesOf = (xml: string) => [...xml.matchAll(/<ram:IncludedNote>\s*<ram:Content>([^<]*)<\/ram:Content>\s*<ram:SubjectCode>(\w+)<\/ram:SubjectCode>\s*<\/ram:IncludedNote>/g)].map((m) => [m[2], m[1]])
    const unescape = (s: string) => s.replaceAll('&apos;', "'")
    const defaults = notesOf(buildCii(built(cases[0]!.values))).map(([code, text]) => [code, unescape(text!)])
    expect(defaults).toEqual([['PMD', mentionDefaults.penalties], ['PMT', mentionDefaults.indemnity], ['AAB', mentionDefaults.discount]])
    expect(mentionDefaults.indemnity).toContain('40 €')
    const typed = built({ ...cases[0]!.values, note: 'Bon de livraison  n° 12\r\nsigné', penalties: 'Pénalités : 3 fois le taux d\'intérêt légal.', indemnity: 'Indemnité de recouvrement : 40 €.', discount: 'Escompte de 1 % à 8 jours.' })
    expect(typed.notes).toEqual([
      { subject: 'AAI', text: 'Bon de livraison n° 12 signé' }, { subject: 'PMD', text: 'Pénalités : 3 fois le taux d\'intérêt légal.' },
      { subject: 'PMT', text: 'Indemnité de recouvrement : 40 €.' }, { subject: 'AAB', text: 'Escompte de 1 % à 8 jours.' },
    ])
    const xml = buildCii(typed)
    expect(notesOf(xml).map(([code]) => code)).toEqual(['AAI', 'PMD', 'PMT', 'AAB'])
    expect(validate(xml).findings).toEqual([])
    // The French reform's rules (fr-ctc 1.3.0, run when a billing framework BT-23 is declared): BR-FR-05 wants PMT, PMD
    // and AAB, BR-FR-06 each once. Ours pass; only BR-FR-10 remains, which wants BT-30 as a SIREN under 0002 where
    // Chorus Pro and the hub's routing take the SIRET under 0009. Without the notes, BR-FR-05 fires three times.
    const framework = (cii: string) => cii.replace('<ram:GuidelineSpecifiedDocumentContextParameter>',
      '<ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>B1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter><ram:GuidelineSpecifiedDocumentContextParameter>')
    const ctc = validate(framework(xml))
    expect(ctc.ran).toContain('fr-ctc-cii:1.3.0@native')
    expect(ctc.findings.map((f) => f.ruleId)).toEqual(['BR-FR-10_BT-30'])
    const franchise = validate(framework(buildCii(built(franchiseCase.values))))
    expect(franchise.findings.map((f) => f.ruleId)).toEqual(['BR-FR-10_BT-30'])
    const noNotes = validate(framework(xml.replace(/<ram:IncludedNote>[\s\S]*?<\/ram:IncludedNote>/g, '')))
    expect(noNotes.findings.map((f) => f.ruleId).filter((id) => id.startsWith('BR-FR-05')).sort()).toEqual(['BR-FR-05_BT-22_AAB', 'BR-FR-05_BT-22_PMD', 'BR-FR-05_BT-22_PMT'])
  })

  test('a Factur-X PDF is made around a typed invoice', async () => {
    const parsed = parseSaisie({ ...cases[1]!.values, output: 'facturx' }, context)
    expect(parsed.ok && parsed.output).toBe('facturx')
    if (!parsed.ok) return
    const pdf = await facturXFromCii(Buffer.from(buildCii(parsed.invoice)))
    expect(pdf.ok && pdf.level).toBe('EN 16931')
    expect(pdf.ok && Buffer.from(pdf.pdf).subarray(0, 5).toString()).toBe('%PDF-')
    expect(fileNameOf(parsed.invoice, 'facturx')).toBe('saisie-F-2026-001.pdf')
    expect(fileNameOf({ ...parsed.invoice, number: 'F/2026/7' }, 'cii')).toBe('saisie-F_2026_7.xml')
  })
})

describe('exact amounts and EN 16931 rounding', () => {
  test('decimals are read exactly, with French commas and spaces between thousands', () => {
    expect(parseDecimal('1 234,5', 4)).toEqual({ ok: true, value: 12_345_000n })
    expect(parseDecimal('0.1', 4)).toEqual({ ok: true, value: 1_000n })
    expect(parseDecimal('-2', 4)).toEqual({ ok: true, value: -20_000n })
    expect(parseDecimal('1.23456', 4)).toEqual({ ok: false, fault: { code: 'decimals', max: 4 } })
    expect(parseDecimal('1.234,5', 4)).toEqual({ ok: false, fault: { code: 'decimal' } })
    expect(parseDecimal('12e3', 4)).toEqual({ ok: false, fault: { code: 'decimal' } })
    expect(decimalText(12_345_000n, 4)).toBe('1234.5')
    expect(decimalText(12_345_000n, 4, 2)).toBe('1234.50')
    expect(decimalText(-5n, 2, 2)).toBe('-0.05')
  })

  test('a line amount rounds half away from zero; a VAT amount as XPath round() does, half up', () => {
    expect(lineAmount(30_000n, 125n)).toBe(4n) // 3 × 0.0125 = 0.0375 → 0.04
    expect(lineAmount(10_000n, 50n)).toBe(1n) // 0.005 → 0.01
    expect(lineAmount(-10_000n, 50n)).toBe(-1n) // −0.005 → −0.01
    expect(roundHalfAway(-25n, 10n)).toBe(-3n)
    expect(roundXPath(25n, 10n)).toBe(3n)
    expect(roundXPath(-25n, 10n)).toBe(-2n) // XPath: round(-2.5) = -2
    // 0.25 at 10 % = 0.025 → 0.03; 1.05 at 10 % = 0.105 → 0.11; 0.10 at 5.5 % = 0.0055 → 0.01.
    expect(computeVat([{ amount: 25n, rate: '10' }], null).vat[0]!.tax).toBe('0.03')
    expect(computeVat([{ amount: 105n, rate: '10' }], null).vat[0]!.tax).toBe('0.11')
    expect(computeVat([{ amount: 10n, rate: '5.5' }], null).vat[0]!.tax).toBe('0.01')
    // Rates grouped: one tax per rate on the sum of its lines (0.10 + 0.10 + 0.10 at 5.5 % = 0.0165 → 0.02, not 3 × 0.01).
    const three = computeVat([{ amount: 10n, rate: '5.5' }, { amount: 10n, rate: '5.5' }, { amount: 10n, rate: '5.5' }], null)
    expect(three.vat).toEqual([{ category: 'S', rate: '5.5', basis: '0.30', tax: '0.02', exemptionReason: null, exemptionCode: null }])
    expect(three.totals).toEqual({ lineTotal: '0.30', taxBasis: '0.30', tax: '0.02', grand: '0.32', due: '0.32' })
  })

  test('identifiers and dates: VAT key, IBAN mod 97, real days only', () => {
    expect(vatFault('FR44732829320')).toBeNull()
    expect(vatFault('FR45732829320')).toEqual({ code: 'vatKey' })
    expect(vatFault('FRAB732829320')).toBeNull() // a letter key (new companies) is not computable: format only
    expect(vatFault('DE123456789')).toEqual({ code: 'vatFormat' })
    expect(isValidIban('FR7630004000031234567890143')).toBe(true)
    expect(isValidIban('FR7630004000031234567890144')).toBe(false)
    expect(parseDate('2026-02-28')).toBe('2026-02-28')
    expect(parseDate('28/02/2026')).toBe('2026-02-28')
    expect(parseDate('2026-02-30')).toBeNull()
    expect(parseDate('31/04/2026')).toBeNull()
    expect(parseDate('tomorrow')).toBeNull()
  })
})

describe('bad forms are refused field by field, with the page\'s words', () => {
  const faultsOf = (values: Values) => {
    const parsed = parseSaisie(values, context)
    if (parsed.ok) throw new Error('accepted')
    return parsed.faults
  }
  const words = (values: Values, lang: 'fr' | 'en') => Object.fromEntries(Object.entries(faultsOf(values)).map(([k, f]) => [k, saisieMessages[lang].fault(f)]))

  test('an empty form: every required field, and at least one line', () => {
    const faults = faultsOf({ structure: SELLER })
    expect(Object.keys(faults).sort()).toEqual(['buyerName', 'buyerSiret', 'dueDate', 'l1-desc', 'number', 'sellerCity', 'sellerLine', 'sellerName', 'sellerPostcode', 'sellerVat'])
    expect(faults['l1-desc']).toEqual({ code: 'noLines' })
    expect(faults.dueDate).toEqual({ code: 'dueOrTerms' })
    expect(words({ structure: SELLER }, 'fr').sellerName).toBe('Obligatoire.')
    expect(words({ structure: SELLER }, 'en')['l1-desc']).toBe('An invoice has at least one line: fill in the first one.')
  })

  test('a structure the person does not send for is refused', () => {
    expect(faultsOf({ ...header({ structure: '21690123100011' }), ...lines(['x', '1', '1', '20']) })).toEqual({ structure: { code: 'structure' } })
  })

  test('a bad SIRET (Luhn), a bad VAT key, a bad IBAN, a post code', () => {
    const faults = words({ ...header({ buyerSiret: '21690123100012', sellerVat: 'FR45 732 829 320', iban: 'FR76 3000 4000 0312 3456 7890 144', sellerPostcode: '7501' }), ...lines(['x', '1', '1', '20']) }, 'fr')
    expect(faults).toEqual({
      buyerSiret: 'SIRET invalide : sa clé de contrôle (Luhn) est fausse. Vérifiez les chiffres.',
      sellerVat: 'Numéro de TVA invalide : sa clé ne correspond pas au SIREN.',
      iban: 'IBAN invalide : vérifiez les chiffres.',
      sellerPostcode: 'Un code postal français compte 5 chiffres.',
    })
    expect(faultsOf({ ...header({ buyerSiret: '2169012310001' }), ...lines(['x', '1', '1', '20']) })).toEqual({ buyerSiret: { code: 'siretFormat' } })
  })

  test('bad dates: not a day, after today, due before issue', () => {
    expect(words({ ...header({ issueDate: '2026-02-30' }), ...lines(['x', '1', '1', '20']) }, 'en')).toEqual({ issueDate: 'Not a date: use the date picker or type DD/MM/YYYY.' })
    expect(words({ ...header({ issueDate: '2026-05-02', dueDate: '2026-06-01' }), ...lines(['x', '1', '1', '20']) }, 'en')).toEqual({ issueDate: 'An invoice cannot be dated after today.' })
    expect(words({ ...header({ issueDate: '2026-04-15', dueDate: '14/04/2026' }), ...lines(['x', '1', '1', '20']) }, 'fr')).toEqual({ dueDate: 'La date d\'échéance précède la date de facture.' })
    // Empty issue date: today.
    expect(built({ ...header({ issueDate: '' }), ...lines(['x', '1', '1', '20']) }).issueDate).toBe(TODAY)
  })

  test('lines: a negative quantity on a credit note, a zero, a negative price, too many decimals, a half-filled row', () => {
    const faults = faultsOf({
      ...header({ type: '381' }),
      ...lines(['Retour', '-2', '10', '20'], ['Rien', '0', '10', '20'], ['Rabais', '1', '-5', '20'], ['Vis', '1', '0.123456', '20'], ['', '3', '', '20']),
    })
    expect(faults).toEqual({
      'l1-qty': { code: 'negativeCredit' }, 'l2-qty': { code: 'zero' }, 'l3-price': { code: 'priceNegative' },
      'l4-price': { code: 'decimals', max: 4 }, 'l5-desc': { code: 'required' }, 'l5-price': { code: 'required' },
    })
    expect(saisieMessages.fr.fault(faults['l1-qty']!)).toBe('Un avoir indique des quantités positives (son type en fait un crédit).')
    expect(saisieMessages.en.fault(faults['l4-price']!)).toBe('At most 4 decimals.')
  })

  test('an invoice whose deductions leave nothing is a credit note to make; a 0 % line needs its exemption reason', () => {
    expect(faultsOf({ ...header(), ...lines(['Prestation', '1', '100', '20'], ['Remise', '-2', '50', '20']) })).toEqual({ 'l1-qty': { code: 'totalNotPositive' } })
    expect(words({ ...header(), ...lines(['Formation', '1', '100', '0']) }, 'fr')).toEqual({ exemption: 'Une ligne est à 0 % de TVA : donnez le motif d\'exonération.' })
  })

  test('the franchise box and the notes: a mention emptied, a note too long or with control characters; the VAT fields ignored under the franchise', () => {
    const one = lines(['Cours', '1', '50', '19.6'])
    // Under the franchise the rate is not read (19.6 is no offered rate) and no VAT number is asked.
    expect(built({ ...header({ franchise: '1', sellerVat: '' }), ...one }).vat.map((g) => g.category)).toEqual(['E'])
    expect(faultsOf({ ...header({ sellerVat: '' }), ...one })).toEqual({ sellerVat: { code: 'required' }, 'l1-rate': { code: 'choice' } })
    expect(faultsOf({ ...header({ franchise: 'yes' }), ...one })).toEqual({ franchise: { code: 'choice' } })
    expect(faultsOf({ ...header({ franchise: '1', penalties: ' ', indemnity: '', discount: 'x'.repeat(501), note: 'x'.repeat(1001) }), ...one })).toEqual({
      penalties: { code: 'required' }, indemnity: { code: 'required' }, discount: { code: 'tooLong', max: 500 }, note: { code: 'tooLong', max: 1000 },
    })
    expect(words({ ...header({ note: 'a\u0007b' }), ...lines(['x', '1', '1', '20']) }, 'fr')).toEqual({ note: 'Contient des caractères qui ne sont pas permis ici.' })
    expect(words({ ...header({ indemnity: '' }), ...lines(['x', '1', '1', '20']) }, 'en')).toEqual({ indemnity: 'Required.' })
  })

  test('only the offered units, rates, types and outputs; no control characters; lengths', () => {
    expect(faultsOf({ ...header({ type: '384', output: 'ubl' }), ...lines(['x', '1', '1', '19.6', 'XYZ']) })).toEqual({
      type: { code: 'choice' }, output: { code: 'choice' }, 'l1-unit': { code: 'choice' }, 'l1-rate': { code: 'choice' },
    })
    expect(faultsOf({ ...header({ sellerName: 'a\u0001b', number: 'F 2026 1', service: 'x'.repeat(101) }), ...lines(['x', '1', '1', '20']) })).toEqual({
      sellerName: { code: 'characters' }, number: { code: 'characters' }, service: { code: 'tooLong', max: 100 },
    })
  })

  test('the buyer as the directory knows it: its name by default; an unknown or inactive SIRET, a service or commitment it requires', () => {
    const structure = (more: Partial<NonNullable<BuyerInDirectory['structure']>> = {}): BuyerInDirectory => ({
      recipient: false,
      structure: { name: 'Mairie de Démo', active: true, serviceRequired: false, commitmentRequired: false, services: [], ...more },
    })
    const services = [{ code: 'TECH', active: true, commitmentRequired: true }, { code: 'OLD', active: false, commitmentRequired: false }, { code: 'RH', active: true, commitmentRequired: false }]
    const parse = (buyer: BuyerInDirectory, more: Values = {}) => parseSaisie({ ...header({ buyerName: '', ...more }), ...lines(['x', '1', '1', '20']) }, { ...context, buyer })
    const ok = parse(structure())
    expect(ok.ok && ok.invoice.buyer.name).toBe('Mairie de Démo')
    const typed = parse(structure(), { buyerName: 'Mairie de Démo, services techniques' })
    expect(typed.ok && typed.invoice.buyer.name).toBe('Mairie de Démo, services techniques')
    expect(parse({ structure: null, recipient: false })).toEqual({ ok: false, faults: { buyerSiret: { code: 'buyerUnknown' }, buyerName: { code: 'required' } } })
    expect(parse({ structure: null, recipient: true }, { buyerName: 'Entreprise B2B' }).ok).toBe(true)
    expect(directoryFaults(structure({ active: false }), 'TECH', null)).toEqual({ buyerSiret: { code: 'structureInactive' } })
    expect(directoryFaults(structure({ serviceRequired: true, services }), null, null)).toEqual({ service: { code: 'serviceRequired', services: ['TECH', 'RH'] } })
    expect(directoryFaults(structure({ services }), 'COMPTA', 'EJ-1')).toEqual({ service: { code: 'serviceUnknown', services: ['TECH', 'RH'] } })
    expect(directoryFaults(structure({ services }), 'OLD', 'EJ-1')).toEqual({ service: { code: 'serviceInactive', services: ['TECH', 'RH'] } })
    expect(directoryFaults(structure({ services }), 'TECH', null)).toEqual({ commitment: { code: 'commitmentRequired' } })
    expect(directoryFaults(structure({ commitmentRequired: true }), null, null)).toEqual({ commitment: { code: 'commitmentRequired' } })
    expect(directoryFaults(structure({ services }), 'RH', null)).toEqual({})
    expect(directoryFaults(structure(), 'ANY', null)).toEqual({}) // a structure that lists no services takes any code
    expect(saisieMessages.fr.fault({ code: 'serviceUnknown', services: ['TECH', 'RH'] })).toBe('Ce n\'est pas un service de cette structure. Ses services : TECH, RH.')
  })
})
