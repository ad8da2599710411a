// An invoice (UBL 2.1 Invoice or CreditNote, or UN/CEFACT CII D16B) read into a plain view model: what a person
// reads on the rendered PDF, as text, in EN 16931 terms (the BT-n in the comments). Amounts and quantities stay
// the decimal text of the XML, so nothing is rounded on the way; the renderer formats them.
//
// Where each term sits in each syntax is a table of XPaths (ublPaths, ciiPaths), not code: one reader walks
// either. The XML is read with libxml2-wasm, which loads on worker threads (libxmljs2, used by kit/safe-xml.ts,
// does not), under kit/safe-xml.ts's rules: any DOCTYPE refused (XXE, entity bombs), no network, no external
// entity, a size and a nesting limit. A document that is not an invoice of a known syntax is an outcome, not an
// exception.
import { ParseOption, XmlDocument, type XmlNode } from 'libxml2-wasm'

export type Syntax = 'UBL Invoice' | 'UBL CreditNote' | 'CII'

export type Identifier = { value: string; scheme: string | null }

export type PartyView = {
  name: string                     // BT-28 trading name, else BT-27 legal name (BT-44/BT-45 for the buyer)
  legalName: string | null         // BT-27 / BT-44 when it differs from the name shown
  identifiers: Identifier[]        // BT-29 / BT-46 (e.g. SIRET, GLN)
  legalId: Identifier | null       // BT-30 / BT-47
  vatId: string | null             // BT-31 / BT-48
  endpoint: Identifier | null      // BT-34 / BT-49
  address: string[]                // BG-5 / BG-8: street lines, then "postcode city", then subdivision and country
  email: string | null             // BT-43 / BT-58
}

export type LineView = {
  id: string                       // BT-126
  name: string                     // BT-153
  description: string | null       // BT-154
  quantity: string                 // BT-129
  unitCode: string | null          // BT-130
  unitPrice: string | null         // BT-146 (net price)
  priceBaseQuantity: string | null // BT-149 when the price is not per one unit
  netAmount: string                // BT-131
  vatCategory: string | null       // BT-151
  vatRate: string | null           // BT-152
}

export type AllowanceChargeView = {
  charge: boolean                  // BG-21 charge, else BG-20 allowance
  amount: string                   // BT-92 / BT-99
  reason: string | null            // BT-97 / BT-104, else the reason code BT-98 / BT-105
  vatCategory: string | null       // BT-95 / BT-102
  vatRate: string | null           // BT-96 / BT-103
}

export type VatView = {
  category: string                 // BT-118
  rate: string | null              // BT-119
  taxableAmount: string            // BT-116
  taxAmount: string                // BT-117
  exemptionReason: string | null   // BT-120, else BT-121
}

export type TotalsView = {
  lineTotal: string | null         // BT-106
  allowanceTotal: string | null    // BT-107
  chargeTotal: string | null       // BT-108
  taxExclusive: string | null      // BT-109
  taxTotal: string | null          // BT-110 (in the invoice currency)
  taxInclusive: string | null      // BT-112
  prepaid: string | null           // BT-113
  rounding: string | null          // BT-114
  payable: string | null           // BT-115
}

export type PaymentView = {
  means: { code: string; text: string | null }[] // BT-81, BT-82
  ibans: string[]                  // BT-84
  accountName: string | null       // BT-85
  bic: string | null               // BT-86
  terms: string | null             // BT-20
  remittance: string | null        // BT-83
  mandate: string | null           // BT-89
}

export type InvoiceView = {
  syntax: Syntax
  number: string                   // BT-1
  issueDate: string                // BT-2, ISO 8601 (YYYY-MM-DD)
  typeCode: string                 // BT-3
  currency: string                 // BT-5
  dueDate: string | null           // BT-9
  deliveryDate: string | null      // BT-72
  specification: string | null     // BT-24
  buyerReference: string | null    // BT-10 (the service code of a French public buyer)
  orderReference: string | null    // BT-13 (the commitment number of a French public buyer)
  contractReference: string | null // BT-12
  projectReference: string | null  // BT-11
  precedingInvoices: string[]      // BT-25
  notes: string[]                  // BT-22
  seller: PartyView                // BG-4
  buyer: PartyView                 // BG-7
  lines: LineView[]                // BG-25
  allowancesCharges: AllowanceChargeView[] // BG-20, BG-21
  vatBreakdown: VatView[]          // BG-23
  totals: TotalsView               // BG-22
  payment: PaymentView             // BG-16
}

export type InvoiceViewRead = { ok: true; view: InvoiceView } | { ok: false; reason: string }

export type ViewLimits = { maxBytes: number; maxDepth: number }

/** The defaults of FACTEUR_MAX_DOCUMENT_BYTES and FACTEUR_MAX_XML_DEPTH (kit/config.ts); callers pass the configured ones. */
export const defaultViewLimits: ViewLimits = { maxBytes: 10 << 20, maxDepth: 64 }

// ---- where each term sits: one table per syntax ----

type PartyPaths = Record<'tradingName' | 'legalName' | 'identifiers' | 'legalId' | 'vatId' | 'endpoint' | 'addressLines' | 'city' | 'postcode' | 'subdivision' | 'country' | 'email', string>
type LinePaths = Record<keyof LineView, string>
type Paths = {
  namespaces: Record<string, string>
  header: Record<'number' | 'issueDate' | 'typeCode' | 'currency' | 'dueDate' | 'deliveryDate' | 'specification' | 'buyerReference' | 'orderReference' | 'contractReference' | 'projectReference', string>
  precedingInvoices: string
  notes: string
  seller: string
  buyer: string
  party: PartyPaths
  lines: string
  line: LinePaths
  allowancesCharges: string
  allowanceCharge: Record<'chargeIndicator' | 'amount' | 'reason' | 'reasonCode' | 'vatCategory' | 'vatRate', string>
  vatBreakdown: string
  vat: Record<'category' | 'rate' | 'taxableAmount' | 'taxAmount' | 'exemptionReason' | 'exemptionReasonCode', string>
  totals: Record<Exclude<keyof TotalsView, 'taxTotal'>, string>
  taxTotals: string                // BT-110 candidates; the one in the invoice currency is taken (BT-111 is the other)
  paymentMeans: string
  means: Record<'code' | 'text' | 'iban' | 'accountName' | 'bic', string>
  payment: Record<'terms' | 'remittance' | 'mandate', string>
}

const ublPaths: Paths = {
  namespaces: {
    cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
    cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
  },
  header: {
    number: 'cbc:ID',
    issueDate: 'cbc:IssueDate',
    typeCode: 'cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode',
    currency: 'cbc:DocumentCurrencyCode',
    // A UBL CreditNote has no cbc:DueDate: its due date is the payment means' (PEPPOL BIS 3 / EN 16931 UBL binding).
    dueDate: 'cbc:DueDate | cac:PaymentMeans/cbc:PaymentDueDate',
    deliveryDate: 'cac:Delivery/cbc:ActualDeliveryDate',
    specification: 'cbc:CustomizationID',
    buyerReference: 'cbc:BuyerReference',
    orderReference: 'cac:OrderReference/cbc:ID',
    contractReference: 'cac:ContractDocumentReference/cbc:ID',
    projectReference: 'cac:ProjectReference/cbc:ID',
  },
  precedingInvoices: 'cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID',
  notes: 'cbc:Note',
  seller: 'cac:AccountingSupplierParty/cac:Party',
  buyer: 'cac:AccountingCustomerParty/cac:Party',
  party: {
    tradingName: 'cac:PartyName/cbc:Name',
    legalName: 'cac:PartyLegalEntity/cbc:RegistrationName',
    identifiers: 'cac:PartyIdentification/cbc:ID',
    legalId: 'cac:PartyLegalEntity/cbc:CompanyID',
    vatId: "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID",
    endpoint: 'cbc:EndpointID',
    addressLines: 'cac:PostalAddress/cbc:StreetName | cac:PostalAddress/cbc:AdditionalStreetName | cac:PostalAddress/cac:AddressLine/cbc:Line',
    city: 'cac:PostalAddress/cbc:CityName',
    postcode: 'cac:PostalAddress/cbc:PostalZone',
    subdivision: 'cac:PostalAddress/cbc:CountrySubentity',
    country: 'cac:PostalAddress/cac:Country/cbc:IdentificationCode',
    email: 'cac:Contact/cbc:ElectronicMail',
  },
  lines: 'cac:InvoiceLine | cac:CreditNoteLine',
  line: {
    id: 'cbc:ID',
    name: 'cac:Item/cbc:Name',
    description: 'cac:Item/cbc:Description',
    quantity: 'cbc:InvoicedQuantity | cbc:CreditedQuantity',
    unitCode: '(cbc:InvoicedQuantity | cbc:CreditedQuantity)/@unitCode',
    unitPrice: 'cac:Price/cbc:PriceAmount',
    priceBaseQuantity: 'cac:Price/cbc:BaseQuantity',
    netAmount: 'cbc:LineExtensionAmount',
    vatCategory: 'cac:Item/cac:ClassifiedTaxCategory/cbc:ID',
    vatRate: 'cac:Item/cac:ClassifiedTaxCategory/cbc:Percent',
  },
  allowancesCharges: 'cac:AllowanceCharge',
  allowanceCharge: {
    chargeIndicator: 'cbc:ChargeIndicator',
    amount: 'cbc:Amount',
    reason: 'cbc:AllowanceChargeReason',
    reasonCode: 'cbc:AllowanceChargeReasonCode',
    vatCategory: 'cac:TaxCategory/cbc:ID',
    vatRate: 'cac:TaxCategory/cbc:Percent',
  },
  vatBreakdown: 'cac:TaxTotal/cac:TaxSubtotal',
  vat: {
    category: 'cac:TaxCategory/cbc:ID',
    rate: 'cac:TaxCategory/cbc:Percent',
    taxableAmount: 'cbc:TaxableAmount',
    taxAmount: 'cbc:TaxAmount',
    exemptionReason: 'cac:TaxCategory/cbc:TaxExemptionReason',
    exemptionReasonCode: 'cac:TaxCategory/cbc:TaxExemptionReasonCode',
  },
  totals: {
    lineTotal: 'cac:LegalMonetaryTotal/cbc:LineExtensionAmount',
    allowanceTotal: 'cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount',
    chargeTotal: 'cac:LegalMonetaryTotal/cbc:ChargeTotalAmount',
    taxExclusive: 'cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount',
    taxInclusive: 'cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount',
    prepaid: 'cac:LegalMonetaryTotal/cbc:PrepaidAmount',
    rounding: 'cac:LegalMonetaryTotal/cbc:PayableRoundingAmount',
    payable: 'cac:LegalMonetaryTotal/cbc:PayableAmount',
  },
  taxTotals: 'cac:TaxTotal/cbc:TaxAmount',
  paymentMeans: 'cac:PaymentMeans',
  means: {
    code: 'cbc:PaymentMeansCode',
    text: 'cbc:PaymentMeansCode/@name',
    iban: 'cac:PayeeFinancialAccount/cbc:ID',
    accountName: 'cac:PayeeFinancialAccount/cbc:Name',
    bic: 'cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID',
  },
  payment: {
    terms: 'cac:PaymentTerms/cbc:Note',
    remittance: 'cac:PaymentMeans/cbc:PaymentID',
    mandate: 'cac:PaymentMeans/cac:PaymentMandate/cbc:ID',
  },
}

const agreement = 'rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement'
const settlement = 'rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement'
const summation = `${settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation`

const ciiPaths: Paths = {
  namespaces: {
    rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
    ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
    udt: 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
  },
  header: {
    number: 'rsm:ExchangedDocument/ram:ID',
    issueDate: 'rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString',
    typeCode: 'rsm:ExchangedDocument/ram:TypeCode',
    currency: `${settlement}/ram:InvoiceCurrencyCode`,
    dueDate: `${settlement}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString`,
    deliveryDate: 'rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString',
    specification: 'rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID',
    buyerReference: `${agreement}/ram:BuyerReference`,
    orderReference: `${agreement}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID`,
    contractReference: `${agreement}/ram:ContractReferencedDocument/ram:IssuerAssignedID`,
    projectReference: `${agreement}/ram:SpecifiedProcuringProject/ram:ID`,
  },
  precedingInvoices: `${settlement}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID`,
  notes: 'rsm:ExchangedDocument/ram:IncludedNote/ram:Content',
  seller: `${agreement}/ram:SellerTradeParty`,
  buyer: `${agreement}/ram:BuyerTradeParty`,
  party: {
    tradingName: 'ram:SpecifiedLegalOrganization/ram:TradingBusinessName',
    legalName: 'ram:Name',
    identifiers: 'ram:ID | ram:GlobalID',
    legalId: 'ram:SpecifiedLegalOrganization/ram:ID',
    vatId: "ram:SpecifiedTaxRegistration/ram:ID[@schemeID = 'VA']",
    endpoint: 'ram:URIUniversalCommunication/ram:URIID',
    addressLines: 'ram:PostalTradeAddress/ram:LineOne | ram:PostalTradeAddress/ram:LineTwo | ram:PostalTradeAddress/ram:LineThree',
    city: 'ram:PostalTradeAddress/ram:CityName',
    postcode: 'ram:PostalTradeAddress/ram:PostcodeCode',
    subdivision: 'ram:PostalTradeAddress/ram:CountrySubDivisionName',
    country: 'ram:PostalTradeAddress/ram:CountryID',
    email: 'ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID',
  },
  lines: 'rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem',
  line: {
    id: 'ram:AssociatedDocumentLineDocument/ram:LineID',
    name: 'ram:SpecifiedTradeProduct/ram:Name',
    description: 'ram:SpecifiedTradeProduct/ram:Description',
    quantity: 'ram:SpecifiedLineTradeDelivery/ram:BilledQuantity',
    unitCode: 'ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode',
    unitPrice: 'ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount',
    priceBaseQuantity: 'ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity',
    netAmount: 'ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount',
    vatCategory: 'ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode',
    vatRate: 'ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent',
  },
  allowancesCharges: `${settlement}/ram:SpecifiedTradeAllowanceCharge`,
  allowanceCharge: {
    chargeIndicator: 'ram:ChargeIndicator/udt:Indicator',
    amount: 'ram:ActualAmount',
    reason: 'ram:Reason',
    reasonCode: 'ram:ReasonCode',
    vatCategory: 'ram:CategoryTradeTax/ram:CategoryCode',
    vatRate: 'ram:CategoryTradeTax/ram:RateApplicablePercent',
  },
  vatBreakdown: `${settlement}/ram:ApplicableTradeTax`,
  vat: {
    category: 'ram:CategoryCode',
    rate: 'ram:RateApplicablePercent',
    taxableAmount: 'ram:BasisAmount',
    taxAmount: 'ram:CalculatedAmount',
    exemptionReason: 'ram:ExemptionReason',
    exemptionReasonCode: 'ram:ExemptionReasonCode',
  },
  totals: {
    lineTotal: `${summation}/ram:LineTotalAmount`,
    allowanceTotal: `${summation}/ram:AllowanceTotalAmount`,
    chargeTotal: `${summation}/ram:ChargeTotalAmount`,
    taxExclusive: `${summation}/ram:TaxBasisTotalAmount`,
    taxInclusive: `${summation}/ram:GrandTotalAmount`,
    prepaid: `${summation}/ram:TotalPrepaidAmount`,
    rounding: `${summation}/ram:RoundingAmount`,
    payable: `${summation}/ram:DuePayableAmount`,
  },
  taxTotals: `${summation}/ram:TaxTotalAmount`,
  paymentMeans: `${settlement}/ram:SpecifiedTradeSettlementPaymentMeans`,
  means: {
    code: 'ram:TypeCode',
    text: 'ram:Information',
    iban: 'ram:PayeePartyCreditorFinancialAccount/ram:IBANID | ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID',
    accountName: 'ram:PayeePartyCreditorFinancialAccount/ram:AccountName',
    bic: 'ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID',
  },
  payment: {
    terms: `${settlement}/ram:SpecifiedTradePaymentTerms/ram:Description`,
    remittance: `${settlement}/ram:PaymentReference`,
    mandate: `${settlement}/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID`,
  },
}

/** The root elements read, by namespace and local name. */
const roots: { namespace: string; name: string; syntax: Syntax; paths: Paths }[] = [
  { namespace: 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2', name: 'Invoice', syntax: 'UBL Invoice', paths: ublPaths },
  { namespace: 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2', name: 'CreditNote', syntax: 'UBL CreditNote', paths: ublPaths },
  { namespace: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100', name: 'CrossIndustryInvoice', syntax: 'CII', paths: ciiPaths },
]

// ---- reading ----

// A DOCTYPE may only stand in the prolog (kit/safe-xml.ts refuses it there the same way, before parsing).
const DOCTYPE_IN_PROLOG = /^\uFEFF?\s*(?:<\?[\s\S]*?\?>\s*|<!--[\s\S]*?-->\s*)*<!DOCTYPE/i

/** The view of an invoice, or why the document cannot be shown as one. */
export function readInvoiceView(xml: Uint8Array, limits: ViewLimits = defaultViewLimits): InvoiceViewRead {
  if (xml.length > limits.maxBytes) return { ok: false, reason: `the document is ${xml.length} bytes, more than the ${limits.maxBytes} allowed` }
  if (DOCTYPE_IN_PROLOG.test(Buffer.from(xml.subarray(0, 4096)).toString('latin1'))) return { ok: false, reason: 'a DOCTYPE declaration is not allowed in an invoice' }
  let doc: XmlDocument
  try {
    doc = XmlDocument.fromBuffer(xml, { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE })
  } catch (error) {
    return { ok: false, reason: `not well-formed XML (${String((error as Error).message).trim().slice(0, 200)})` }
  }
  try {
    if (doc.dtd !== null) return { ok: false, reason: 'a DOCTYPE declaration is not allowed in an invoice' }
    if (doc.eval(`boolean(/${'*/'.repeat(limits.maxDepth)}*)`) === true) return { ok: false, reason: `elements are nested deeper than ${limits.maxDepth} levels` }
    const root = doc.root
    const known = roots.find((r) => r.namespace === root.namespaceUri && r.name === root.name)
    if (!known) return { ok: false, reason: `the root element {${root.namespaceUri}}${root.name} is not a UBL 2.1 Invoice or CreditNote, nor a CII D16B CrossIndustryInvoice` }
    return { ok: true, view: readView(root, known.syntax, known.paths) }
  } finally {
    doc.dispose()
  }
}

type Reader = {
  one(node: XmlNode, path: string): string | null
  all(node: XmlNode, path: string): string[]
  nodes(node: XmlNode, path: string): XmlNode[]
  identifier(node: XmlNode, path: string): Identifier | null
}

function reader(namespaces: Record<string, string>): Reader {
  const nodes = (node: XmlNode, path: string) => node.find(path, namespaces)
  const text = (n: XmlNode) => n.content.replace(/\s+/g, ' ').trim()
  return {
    nodes,
    one: (node, path) => nodes(node, path).map(text).find((t) => t !== '') ?? null,
    all: (node, path) => nodes(node, path).map(text).filter((t) => t !== ''),
    identifier: (node, path) => {
      const found = nodes(node, path).find((n) => text(n) !== '')
      if (!found) return null
      const scheme = found.eval('string(@schemeID)')
      return { value: text(found), scheme: typeof scheme === 'string' && scheme.trim() !== '' ? scheme.trim() : null }
    },
  }
}

function readView(root: XmlNode, syntax: Syntax, paths: Paths): InvoiceView {
  const r = reader(paths.namespaces)
  const header = (field: keyof Paths['header']) => r.one(root, paths.header[field])
  const date = (field: 'issueDate' | 'dueDate' | 'deliveryDate') => isoDate(header(field))
  const currency = header('currency') ?? ''
  const party = (path: string) => readParty(r.nodes(root, path)[0], r, paths.party)
  return {
    syntax,
    number: header('number') ?? '',
    issueDate: date('issueDate') ?? '',
    typeCode: header('typeCode') ?? '',
    currency,
    dueDate: date('dueDate'),
    deliveryDate: date('deliveryDate'),
    specification: header('specification'),
    buyerReference: header('buyerReference'),
    orderReference: header('orderReference'),
    contractReference: header('contractReference'),
    projectReference: header('projectReference'),
    precedingInvoices: r.all(root, paths.precedingInvoices),
    notes: r.all(root, paths.notes),
    seller: party(paths.seller),
    buyer: party(paths.buyer),
    lines: r.nodes(root, paths.lines).map((line) => readLine(line, r, paths.line)),
    allowancesCharges: r.nodes(root, paths.allowancesCharges).map((node) => {
      const field = (name: keyof Paths['allowanceCharge']) => r.one(node, paths.allowanceCharge[name])
      return {
        charge: field('chargeIndicator') === 'true',
        amount: field('amount') ?? '',
        reason: field('reason') ?? field('reasonCode'),
        vatCategory: field('vatCategory'),
        vatRate: field('vatRate'),
      }
    }),
    vatBreakdown: r.nodes(root, paths.vatBreakdown).map((node) => {
      const field = (name: keyof Paths['vat']) => r.one(node, paths.vat[name])
      return {
        category: field('category') ?? '',
        rate: field('rate'),
        taxableAmount: field('taxableAmount') ?? '',
        taxAmount: field('taxAmount') ?? '',
        exemptionReason: field('exemptionReason') ?? field('exemptionReasonCode'),
      }
    }),
    totals: readTotals(root, r, paths, currency),
    payment: readPayment(root, r, paths),
  }
}

function readParty(node: XmlNode | undefined, r: Reader, p: PartyPaths): PartyView {
  if (!node) return { name: '', legalName: null, identifiers: [], legalId: null, vatId: null, endpoint: null, address: [], email: null }
  const tradingName = r.one(node, p.tradingName)
  const legalName = r.one(node, p.legalName)
  const name = tradingName ?? legalName ?? ''
  const cityLine = [r.one(node, p.postcode), r.one(node, p.city)].filter((s) => s !== null).join(' ')
  const legalId = r.identifier(node, p.legalId)
  return {
    name,
    legalName: legalName !== null && legalName !== name ? legalName : null,
    // BT-29 repeats BT-30 in many invoices (a SIRET as both): shown once.
    identifiers: r.nodes(node, p.identifiers).flatMap((n) => {
      const id = r.identifier(n, '.')
      return id && !(legalId && legalId.value === id.value && legalId.scheme === id.scheme) ? [id] : []
    }),
    legalId,
    vatId: r.one(node, p.vatId),
    endpoint: r.identifier(node, p.endpoint),
    address: [...r.all(node, p.addressLines), ...(cityLine ? [cityLine] : []), ...r.all(node, p.subdivision), ...r.all(node, p.country)],
    email: r.one(node, p.email),
  }
}

function readLine(node: XmlNode, r: Reader, p: LinePaths): LineView {
  const field = (name: keyof LinePaths) => r.one(node, p[name])
  const base = field('priceBaseQuantity')
  return {
    id: field('id') ?? '',
    name: field('name') ?? '',
    description: field('description'),
    quantity: field('quantity') ?? '',
    unitCode: field('unitCode'),
    unitPrice: field('unitPrice'),
    priceBaseQuantity: base !== null && Number(base) !== 1 ? base : null,
    netAmount: field('netAmount') ?? '',
    vatCategory: field('vatCategory'),
    vatRate: field('vatRate'),
  }
}

function readTotals(root: XmlNode, r: Reader, paths: Paths, currency: string): TotalsView {
  const total = (name: keyof Paths['totals']) => r.one(root, paths.totals[name])
  // BT-110 is the tax total in the invoice currency; a second one in the VAT accounting currency is BT-111.
  const taxTotals = r.nodes(root, paths.taxTotals)
  const inCurrency = taxTotals.find((n) => n.eval('string(@currencyID)') === currency) ?? taxTotals.find((n) => n.eval('string(@currencyID)') === '')
  return {
    lineTotal: total('lineTotal'),
    allowanceTotal: total('allowanceTotal'),
    chargeTotal: total('chargeTotal'),
    taxExclusive: total('taxExclusive'),
    taxTotal: (inCurrency ?? taxTotals[0])?.content.trim() || null,
    taxInclusive: total('taxInclusive'),
    prepaid: total('prepaid'),
    rounding: total('rounding'),
    payable: total('payable'),
  }
}

function readPayment(root: XmlNode, r: Reader, paths: Paths): PaymentView {
  const means = r.nodes(root, paths.paymentMeans)
  const first = (name: keyof Paths['means']) => means.map((m) => r.one(m, paths.means[name])).find((v) => v !== null) ?? null
  return {
    means: means.flatMap((m) => {
      const code = r.one(m, paths.means.code)
      return code === null ? [] : [{ code, text: r.one(m, paths.means.text) }]
    }),
    ibans: [...new Set(means.flatMap((m) => r.all(m, paths.means.iban)))],
    accountName: first('accountName'),
    bic: first('bic'),
    terms: r.one(root, paths.payment.terms),
    remittance: r.one(root, paths.payment.remittance),
    mandate: r.one(root, paths.payment.mandate),
  }
}

/** ISO 8601 from UBL's xs:date (2026-11-20, a time zone dropped) or CII's format 102 (20261121); else as written. */
function isoDate(value: string | null): string | null {
  if (value === null) return null
  const cii = /^(\d{4})(\d{2})(\d{2})$/.exec(value)
  if (cii) return `${cii[1]}-${cii[2]}-${cii[3]}`
  const ubl = /^(\d{4}-\d{2}-\d{2})/.exec(value)
  return ubl ? ubl[1]! : value
}
