// The routing and business keys, read with the EN 16931 syntax bindings (CEN/TS 16931-3-2 for UBL,
// 16931-3-3 for CII). Each syntax is a table of XPaths; amounts stay the decimal strings of the document.
import type { Document, Element } from 'libxmljs2'
import type { DocumentKeys, Party, SchemedId, Syntax } from '../../schemas/events.js'

const ns = {
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
  rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
  udt: 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
}

type PartyPaths = { name: string[]; legalId: string; vatId: string; endpoint: string }
type Binding = {
  invoiceNumber: string; issueDate: string; typeCode: string; currency: string; customizationId: string; profileId: string
  buyerReference: string; orderReference: string; seller: string; buyer: string; party: PartyPaths
  totals: { lineExtension: string; taxExclusive: string; taxTotal: string; taxInclusive: string; payable: string }
}

const ubl: Binding = {
  invoiceNumber: '/*/cbc:ID',                                       // BT-1
  issueDate: '/*/cbc:IssueDate',                                    // BT-2
  typeCode: '/*/cbc:InvoiceTypeCode | /*/cbc:CreditNoteTypeCode',   // BT-3
  currency: '/*/cbc:DocumentCurrencyCode',                          // BT-5
  customizationId: '/*/cbc:CustomizationID',                        // BT-24
  profileId: '/*/cbc:ProfileID',                                    // BT-23
  buyerReference: '/*/cbc:BuyerReference',                          // BT-10
  orderReference: '/*/cac:OrderReference/cbc:ID',                   // BT-13
  seller: '/*/cac:AccountingSupplierParty/cac:Party',               // BG-4
  buyer: '/*/cac:AccountingCustomerParty/cac:Party',                // BG-7
  party: {
    name: ['cac:PartyLegalEntity/cbc:RegistrationName', 'cac:PartyName/cbc:Name'],   // BT-27 / BT-44
    legalId: 'cac:PartyLegalEntity/cbc:CompanyID',                                  // BT-30 / BT-47
    vatId: "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID",        // BT-31 / BT-48
    endpoint: 'cbc:EndpointID',                                                     // BT-34 / BT-49
  },
  totals: {
    lineExtension: '/*/cac:LegalMonetaryTotal/cbc:LineExtensionAmount',  // BT-106
    taxExclusive: '/*/cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount',    // BT-109
    taxTotal: '/*/cac:TaxTotal/cbc:TaxAmount[@currencyID = /*/cbc:DocumentCurrencyCode]', // BT-110
    taxInclusive: '/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount',    // BT-112
    payable: '/*/cac:LegalMonetaryTotal/cbc:PayableAmount',              // BT-115
  },
}

const agreement = '/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement'
const settlement = '/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement'
const summation = `${settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation`
const cii: Binding = {
  invoiceNumber: '/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID',
  issueDate: '/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString',
  typeCode: '/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode',
  currency: `${settlement}/ram:InvoiceCurrencyCode`,
  customizationId: '/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID',
  profileId: '/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID',
  buyerReference: `${agreement}/ram:BuyerReference`,
  orderReference: `${agreement}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID`,
  seller: `${agreement}/ram:SellerTradeParty`,
  buyer: `${agreement}/ram:BuyerTradeParty`,
  party: {
    name: ['ram:Name'],
    legalId: 'ram:SpecifiedLegalOrganization/ram:ID',
    vatId: "ram:SpecifiedTaxRegistration/ram:ID[@schemeID = 'VA']",
    endpoint: 'ram:URIUniversalCommunication/ram:URIID',
  },
  totals: {
    lineExtension: `${summation}/ram:LineTotalAmount`,
    taxExclusive: `${summation}/ram:TaxBasisTotalAmount`,
    taxTotal: `${summation}/ram:TaxTotalAmount[@currencyID = ${settlement}/ram:InvoiceCurrencyCode]`,
    taxInclusive: `${summation}/ram:GrandTotalAmount`,
    payable: `${summation}/ram:DuePayableAmount`,
  },
}

const bindings: Record<Syntax, Binding> = { 'ubl-invoice': ubl, 'ubl-creditnote': ubl, cii }

type Context = Document | Element

const element = (ctx: Context, xpath: string) => ctx.get(xpath, ns) as Element | null
const text = (ctx: Context, xpath: string): string | null => {
  const value = element(ctx, xpath)?.text().trim()
  return value ? value : null
}
const schemed = (ctx: Context, xpath: string): SchemedId | null => {
  const el = element(ctx, xpath)
  const value = el?.text().trim()
  if (!el || !value) return null
  return { scheme: el.attr('schemeID')?.value().trim() || null, value }
}

function party(doc: Document, path: string, paths: PartyPaths): Party {
  const el = element(doc, path)
  if (!el) return { name: null, legalId: null, vatId: null, endpoint: null }
  return {
    name: paths.name.map((p) => text(el, p)).find((v) => v !== null) ?? null,
    legalId: schemed(el, paths.legalId),
    vatId: text(el, paths.vatId),
    endpoint: schemed(el, paths.endpoint),
  }
}

/** CII dates are format 102 (yyyymmdd, UNTDID 2379); UBL dates are already ISO. */
export function isoDate(value: string | null): string | null {
  if (!value) return null
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value)
  return compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : value
}

export type Extraction = { ok: true; keys: DocumentKeys } | { ok: false; missing: { term: string; message: string }[] }

export function extractKeys(doc: Document, syntax: Syntax): Extraction {
  const b = bindings[syntax]
  const invoiceNumber = text(doc, b.invoiceNumber)
  const issueDate = isoDate(text(doc, b.issueDate))
  const missing = [
    ...(invoiceNumber ? [] : [{ term: 'BT-1', message: `the invoice number (BT-1, ${b.invoiceNumber}) is missing` }]),
    ...(issueDate ? [] : [{ term: 'BT-2', message: `the issue date (BT-2, ${b.issueDate}) is missing` }]),
  ]
  if (!invoiceNumber || !issueDate) return { ok: false, missing }
  return {
    ok: true,
    keys: {
      invoiceNumber, issueDate,
      typeCode: text(doc, b.typeCode), currency: text(doc, b.currency),
      customizationId: text(doc, b.customizationId), profileId: text(doc, b.profileId),
      buyerReference: text(doc, b.buyerReference), orderReference: text(doc, b.orderReference),
      seller: party(doc, b.seller, b.party), buyer: party(doc, b.buyer, b.party),
      totals: {
        lineExtension: text(doc, b.totals.lineExtension), taxExclusive: text(doc, b.totals.taxExclusive),
        taxTotal: text(doc, b.totals.taxTotal), taxInclusive: text(doc, b.totals.taxInclusive), payable: text(doc, b.totals.payable),
      },
    },
  }
}
