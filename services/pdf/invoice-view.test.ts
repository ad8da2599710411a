// The view model read from the project's fixtures (UBL invoice, UBL credit note, CII invoice): every value a
// reader sees, exactly as written in the XML; the optional parts (notes, allowances and charges, BIC, payment
// terms, paid amount) from variants of the fixtures; and the documents that are refused, with the reason.
import { describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readInvoiceView, type InvoiceView } from './invoice-view.js'

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url)), 'utf8')
const view = (xml: string): InvoiceView => {
  const read = readInvoiceView(Buffer.from(xml))
  if (!read.ok) throw new Error(read.reason)
  return read.view
}

const atelier = {
  name: 'Atelier Numérique du Rhône',
  legalName: 'Atelier Numérique du Rhône SAS',
  identifiers: [],
  legalId: { value: '73282932000074', scheme: '0009' },
  vatId: 'FR44732829320',
  endpoint: { value: '73282932000074', scheme: '0009' },
  address: ['12 rue de la République', '69002 Lyon', 'FR'],
  email: null,
}
const mairie = {
  name: 'Mairie de Démo',
  legalName: 'Commune de Démo',
  identifiers: [],
  legalId: { value: '21750001600019', scheme: '0009' },
  vatId: null,
  endpoint: { value: '21750001600019', scheme: '0009' },
  address: ["Place de l'Hôtel de Ville", '75004 Paris', 'FR'],
  email: null,
}
const ublLines = [
  { id: '1', name: 'Développement du portail citoyen', description: null, quantity: '5', unitCode: 'DAY', unitPrice: '200.00', priceBaseQuantity: null, netAmount: '1000.00', vatCategory: 'S', vatRate: '20' },
  { id: '2', name: 'Formation des agents', description: null, quantity: '5', unitCode: 'HUR', unitPrice: '50.00', priceBaseQuantity: null, netAmount: '250.00', vatCategory: 'S', vatRate: '20' },
]
const ublTotals = { lineTotal: '1250.00', allowanceTotal: null, chargeTotal: null, taxExclusive: '1250.00', taxTotal: '250.00', taxInclusive: '1500.00', prepaid: null, rounding: null, payable: '1500.00' }
const ublPayment = { means: [{ code: '30', text: null }], ibans: ['FR7630006000011234567890189'], accountName: null, bic: null, terms: null, remittance: null, mandate: null }

const expected: [string, InvoiceView][] = [
  ['ubl-invoice.xml', {
    syntax: 'UBL Invoice', number: 'FCT-2026-0001', issueDate: '2026-11-20', typeCode: '380', currency: 'EUR', dueDate: '2026-12-20',
    deliveryDate: null, specification: 'urn:cen.eu:en16931:2017', buyerReference: 'SERV-FIN-01', orderReference: 'EJ-2026-000042',
    contractReference: null, projectReference: null, precedingInvoices: [], notes: [],
    seller: atelier, buyer: mairie, lines: ublLines, allowancesCharges: [],
    vatBreakdown: [{ category: 'S', rate: '20', taxableAmount: '1250.00', taxAmount: '250.00', exemptionReason: null }],
    totals: ublTotals, payment: ublPayment,
  }],
  ['ubl-creditnote.xml', {
    syntax: 'UBL CreditNote', number: 'AV-2026-0003', issueDate: '2026-11-20', typeCode: '381', currency: 'EUR', dueDate: null,
    deliveryDate: null, specification: 'urn:cen.eu:en16931:2017', buyerReference: 'SERV-FIN-01', orderReference: 'EJ-2026-000042',
    contractReference: null, projectReference: null, precedingInvoices: [], notes: [],
    seller: atelier, buyer: mairie, lines: ublLines, allowancesCharges: [],
    vatBreakdown: [{ category: 'S', rate: '20', taxableAmount: '1250.00', taxAmount: '250.00', exemptionReason: null }],
    totals: ublTotals, payment: ublPayment,
  }],
  ['cii-invoice.xml', {
    syntax: 'CII', number: 'FCT-CII-2026-0007', issueDate: '2026-11-21', typeCode: '380', currency: 'EUR', dueDate: '2026-12-21',
    deliveryDate: null, specification: 'urn:cen.eu:en16931:2017', buyerReference: 'SERV-TECH', orderReference: 'EJ-2026-000777',
    contractReference: null, projectReference: null, precedingInvoices: [], notes: [],
    seller: {
      name: 'Lumière et Réseaux SARL', legalName: null, identifiers: [], legalId: { value: '35600000000048', scheme: '0009' },
      vatId: 'FR32356000000', endpoint: { value: '35600000000048', scheme: '0009' }, address: ['4 quai Duguay-Trouin', '35000 Rennes', 'FR'], email: null,
    },
    buyer: {
      name: 'Communauté de communes de Démo', legalName: null, identifiers: [], legalId: { value: '21690123100011', scheme: '0009' },
      vatId: null, endpoint: { value: '21690123100011', scheme: '0009' }, address: ['69100 Villeurbanne', 'FR'], email: null,
    },
    lines: [{ id: '1', name: "Maintenance du réseau d'éclairage public", description: null, quantity: '10', unitCode: 'HUR', unitPrice: '120.00', priceBaseQuantity: null, netAmount: '1200.00', vatCategory: 'S', vatRate: '20' }],
    allowancesCharges: [],
    vatBreakdown: [{ category: 'S', rate: '20', taxableAmount: '1200.00', taxAmount: '240.00', exemptionReason: null }],
    totals: { lineTotal: '1200.00', allowanceTotal: null, chargeTotal: null, taxExclusive: '1200.00', taxTotal: '240.00', taxInclusive: '1440.00', prepaid: null, rounding: null, payable: '1440.00' },
    payment: { means: [{ code: '30', text: null }], ibans: ['FR7630004000031234567890143'], accountName: null, bic: null, terms: null, remittance: null, mandate: null },
  }],
]

describe('readInvoiceView', () => {
  test.each(expected)('reads every shown value of %s as written', (name, want) => {
    expect(view(fixture(name))).toEqual(want)
  })

  test('reads the optional parts of a UBL invoice: notes, allowances and charges, paid amount, BIC, account name, payment terms and reference', () => {
    const xml = fixture('ubl-invoice.xml')
      .replace('<cbc:DocumentCurrencyCode>', '<cbc:Note>Pénalités de retard : trois fois le taux d’intérêt légal.</cbc:Note>\n  <cbc:Note>Indemnité forfaitaire pour frais de recouvrement : 40 €.</cbc:Note>\n  <cbc:DocumentCurrencyCode>')
      .replace('<cac:OrderReference>', '<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>FCT-2026-0000</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>\n  <cac:OrderReference>')
      .replace('<cac:AccountingSupplierParty>', '<cac:ContractDocumentReference><cbc:ID>MARCHE-2026-12</cbc:ID></cac:ContractDocumentReference>\n  <cac:AccountingSupplierParty>')
      .replace('<cbc:ID>FR7630006000011234567890189</cbc:ID>', '<cbc:ID>FR7630006000011234567890189</cbc:ID><cbc:Name>Atelier Numérique</cbc:Name><cac:FinancialInstitutionBranch><cbc:ID>AGRIFRPP</cbc:ID></cac:FinancialInstitutionBranch>')
      .replace('<cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>', '<cbc:PaymentMeansCode name="Virement SEPA">30</cbc:PaymentMeansCode><cbc:PaymentID>FCT-2026-0001</cbc:PaymentID>')
      .replace('<cac:TaxTotal>', `<cac:PaymentTerms><cbc:Note>30 jours fin de mois</cbc:Note></cac:PaymentTerms>
  <cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:AllowanceChargeReason>Remise fidélité</cbc:AllowanceChargeReason><cbc:Amount currencyID="EUR">50.00</cbc:Amount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:AllowanceCharge>
  <cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>FC</cbc:AllowanceChargeReasonCode><cbc:Amount currencyID="EUR">12.50</cbc:Amount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:AllowanceCharge>
  <cac:TaxTotal>`)
      .replace('<cbc:TaxInclusiveAmount currencyID="EUR">1500.00</cbc:TaxInclusiveAmount>', '<cbc:TaxInclusiveAmount currencyID="EUR">1500.00</cbc:TaxInclusiveAmount><cbc:PrepaidAmount currencyID="EUR">500.00</cbc:PrepaidAmount>')
    const v = view(xml)
    expect(v.notes).toEqual(['Pénalités de retard : trois fois le taux d’intérêt légal.', 'Indemnité forfaitaire pour frais de recouvrement : 40 €.'])
    expect(v.precedingInvoices).toEqual(['FCT-2026-0000'])
    expect(v.contractReference).toBe('MARCHE-2026-12')
    expect(v.allowancesCharges).toEqual([
      { charge: false, amount: '50.00', reason: 'Remise fidélité', vatCategory: 'S', vatRate: '20' },
      { charge: true, amount: '12.50', reason: 'FC', vatCategory: 'S', vatRate: '20' },
    ])
    expect(v.totals.prepaid).toBe('500.00')
    expect(v.payment).toEqual({
      means: [{ code: '30', text: 'Virement SEPA' }], ibans: ['FR7630006000011234567890189'], accountName: 'Atelier Numérique', bic: 'AGRIFRPP',
      terms: '30 jours fin de mois', remittance: 'FCT-2026-0001', mandate: null,
    })
  })

  test('reads the optional parts of a CII invoice: notes, allowances and charges, paid amount, BIC, payment terms, delivery date, trading name', () => {
    const xml = fixture('cii-invoice.xml')
      .replace('</ram:IssueDateTime>', '</ram:IssueDateTime>\n    <ram:IncludedNote><ram:Content>Merci de rappeler le numéro de facture.</ram:Content></ram:IncludedNote>')
      .replace('<ram:SpecifiedLegalOrganization>\n          <ram:ID schemeID="0009">35600000000048</ram:ID>', '<ram:SpecifiedLegalOrganization>\n          <ram:ID schemeID="0009">35600000000048</ram:ID><ram:TradingBusinessName>Lumière &amp; Réseaux</ram:TradingBusinessName>')
      .replace('<ram:ApplicableHeaderTradeDelivery/>', '<ram:ApplicableHeaderTradeDelivery><ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime><udt:DateTimeString format="102">20261115</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent></ram:ApplicableHeaderTradeDelivery>')
      .replace('<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>', '<ram:PaymentReference>RF18539007547034</ram:PaymentReference><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>')
      .replace('</ram:PayeePartyCreditorFinancialAccount>', '</ram:PayeePartyCreditorFinancialAccount><ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>BNPAFRPP</ram:BICID></ram:PayeeSpecifiedCreditorFinancialInstitution>')
      .replace('<ram:SpecifiedTradePaymentTerms>', `<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator><ram:ActualAmount>100.00</ram:ActualAmount><ram:Reason>Remise commerciale</ram:Reason><ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:CategoryTradeTax></ram:SpecifiedTradeAllowanceCharge>
      <ram:SpecifiedTradePaymentTerms><ram:Description>Paiement à 30 jours</ram:Description>`)
      .replace('<ram:GrandTotalAmount>1440.00</ram:GrandTotalAmount>', '<ram:GrandTotalAmount>1440.00</ram:GrandTotalAmount><ram:TotalPrepaidAmount>440.00</ram:TotalPrepaidAmount>')
    const v = view(xml)
    expect(v.notes).toEqual(['Merci de rappeler le numéro de facture.'])
    expect(v.seller.name).toBe('Lumière & Réseaux')
    expect(v.seller.legalName).toBe('Lumière et Réseaux SARL')
    expect(v.deliveryDate).toBe('2026-11-15')
    expect(v.allowancesCharges).toEqual([{ charge: false, amount: '100.00', reason: 'Remise commerciale', vatCategory: 'S', vatRate: '20' }])
    expect(v.totals.prepaid).toBe('440.00')
    expect(v.payment).toMatchObject({ bic: 'BNPAFRPP', terms: 'Paiement à 30 jours', remittance: 'RF18539007547034', ibans: ['FR7630004000031234567890143'] })
  })

  test('takes the tax total in the invoice currency (BT-110), not the one in the VAT accounting currency (BT-111)', () => {
    const xml = fixture('ubl-invoice.xml').replace('<cac:TaxTotal>', '<cac:TaxTotal><cbc:TaxAmount currencyID="USD">271.00</cbc:TaxAmount></cac:TaxTotal>\n  <cac:TaxTotal>')
    expect(view(xml).totals.taxTotal).toBe('250.00')
  })

  test.each([
    ['a DOCTYPE (XXE, entity bombs)', '<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice/>', /DOCTYPE/],
    ['malformed XML', '<Invoice><cbc:ID>1</Invoice>', /not well-formed/],
    ['another root element', '<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>', /is not a UBL 2\.1 Invoice or CreditNote, nor a CII/],
    ['nesting past the limit', `<a>${'<b>'.repeat(80)}${'</b>'.repeat(80)}</a>`, /nested deeper than 64/],
  ])('refuses %s with the reason', (_, xml, reason) => {
    const read = readInvoiceView(Buffer.from(xml))
    expect(read.ok).toBe(false)
    if (!read.ok) expect(read.reason).toMatch(reason)
  })

  test('refuses a document past the size limit before parsing it', () => {
    const read = readInvoiceView(Buffer.from(fixture('ubl-invoice.xml')), { maxBytes: 1000, maxDepth: 64 })
    expect(read).toEqual({ ok: false, reason: expect.stringMatching(/more than the 1000 allowed/) })
  })
})
