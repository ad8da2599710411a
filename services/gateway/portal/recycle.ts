// Recycling an invoice in A_RECYCLER (Chorus Pro's "recycler"): the supplier corrects its routing data — the
// service code (BT-10), the commitment number (BT-13), the recipient's SIRET (BT-49, with BT-46/BT-47 where they
// carry a SIRET) — and the corrected copy is deposited as a new document under the same invoice number, which the
// hub links to the A_RECYCLER one (resubmissionOf). The deposited invoice itself is never changed. XML only: in a
// Factur-X the PDF shows the old data, so the supplier exports a corrected one instead.
import libxml, { type Document, type Element } from 'libxmljs2'
import { safeParse, type XmlLimits } from '../../kit/safe-xml.js'

export type RoutingFix = { serviceCode: string | null; commitment: string | null; buyerSiret: string | null }
export type Corrected = { ok: true; xml: Buffer; changed: string[] } | { ok: false; reason: string }

const ns = {
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
}

const one = (context: Document | Element, xpath: string) => (context.get(xpath, ns) as Element | null) ?? null

/** A new element of namespace `prefix` (the document's own prefix for it where it declares one). */
function element(doc: Document, prefix: 'cbc' | 'cac' | 'ram', name: string, text?: string): Element {
  const e = new libxml.Element(doc, name, text)
  e.namespace(ns[prefix])
  return e
}

/**
 * Puts `child` into `parent` where the schema wants it: before the first existing sibling named in `before`
 * (the elements that follow it in the schema's sequence), else last.
 */
function insert(parent: Element, child: Element, before: string[]): void {
  for (const name of before) {
    const next = one(parent, name)
    if (next) { next.addPrevSibling(child); return }
  }
  parent.addChild(child)
}

function setText(e: Element, value: string): boolean {
  if (e.text() === value) return false
  e.text(value)
  return true
}

// UBL 2.1 Invoice/CreditNote: what follows BuyerReference and OrderReference in the root's sequence.
const ublAfterBuyerReference = ['cac:InvoicePeriod', 'cac:OrderReference', 'cac:BillingReference', 'cac:DespatchDocumentReference', 'cac:ReceiptDocumentReference',
  'cac:StatementDocumentReference', 'cac:OriginatorDocumentReference', 'cac:ContractDocumentReference', 'cac:AdditionalDocumentReference', 'cac:ProjectReference',
  'cac:Signature', 'cac:AccountingSupplierParty']
const ublAfterOrderReference = ublAfterBuyerReference.slice(2)
// CII D16B ApplicableHeaderTradeAgreement: what follows BuyerOrderReferencedDocument.
const ciiAfterBuyerOrder = ['ram:ContractReferencedDocument', 'ram:AdditionalReferencedDocument', 'ram:BuyerRequisitionerTradeParty', 'ram:SpecifiedProcuringProject', 'ram:UltimateCustomerOrderReferencedDocument']

function fixUbl(doc: Document, fix: RoutingFix, changed: string[]) {
  const root = doc.root()!
  if (fix.serviceCode !== null) {
    const e = one(root, 'cbc:BuyerReference')
    if (e) { if (setText(e, fix.serviceCode)) changed.push('BT-10') } else { insert(root, element(doc, 'cbc', 'BuyerReference', fix.serviceCode), ublAfterBuyerReference); changed.push('BT-10') }
  }
  if (fix.commitment !== null) {
    const e = one(root, 'cac:OrderReference/cbc:ID')
    if (e) { if (setText(e, fix.commitment)) changed.push('BT-13') } else {
      const order = element(doc, 'cac', 'OrderReference')
      order.addChild(element(doc, 'cbc', 'ID', fix.commitment))
      insert(root, order, ublAfterOrderReference)
      changed.push('BT-13')
    }
  }
  if (fix.buyerSiret !== null) {
    const party = one(root, 'cac:AccountingCustomerParty/cac:Party')
    if (!party) throw new Error('the invoice has no buyer (BG-7)')
    const endpoint = one(party, 'cbc:EndpointID')
    if (endpoint) { endpoint.attr({ schemeID: '0009' }); if (setText(endpoint, fix.buyerSiret)) changed.push('BT-49') } else {
      const e = element(doc, 'cbc', 'EndpointID', fix.buyerSiret)
      e.attr({ schemeID: '0009' })
      const first = party.child(0) as Element | null
      if (first) first.addPrevSibling(e); else party.addChild(e)
      changed.push('BT-49')
    }
    for (const e of party.find("cac:PartyIdentification/cbc:ID[@schemeID='0009'] | cac:PartyLegalEntity/cbc:CompanyID[@schemeID='0009']", ns) as Element[]) {
      if (setText(e, fix.buyerSiret)) changed.push(e.name() === 'CompanyID' ? 'BT-47' : 'BT-46')
    }
  }
}

function fixCii(doc: Document, fix: RoutingFix, changed: string[]) {
  const agreement = one(doc, '/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement')
  if (!agreement) throw new Error('the invoice has no ApplicableHeaderTradeAgreement')
  if (fix.serviceCode !== null) {
    const e = one(agreement, 'ram:BuyerReference')
    if (e) { if (setText(e, fix.serviceCode)) changed.push('BT-10') } else {
      const first = agreement.child(0) as Element | null
      const created = element(doc, 'ram', 'BuyerReference', fix.serviceCode)
      if (first) first.addPrevSibling(created); else agreement.addChild(created)
      changed.push('BT-10')
    }
  }
  if (fix.commitment !== null) {
    const e = one(agreement, 'ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID')
    if (e) { if (setText(e, fix.commitment)) changed.push('BT-13') } else {
      const order = element(doc, 'ram', 'BuyerOrderReferencedDocument')
      order.addChild(element(doc, 'ram', 'IssuerAssignedID', fix.commitment))
      insert(agreement, order, ciiAfterBuyerOrder)
      changed.push('BT-13')
    }
  }
  if (fix.buyerSiret !== null) {
    const party = one(agreement, 'ram:BuyerTradeParty')
    if (!party) throw new Error('the invoice has no buyer (BG-7)')
    const uri = one(party, 'ram:URIUniversalCommunication/ram:URIID')
    if (!uri) throw new Error('the buyer has no electronic address (BT-49) to correct')
    uri.attr({ schemeID: '0009' })
    if (setText(uri, fix.buyerSiret)) changed.push('BT-49')
    for (const e of party.find("ram:GlobalID[@schemeID='0009'] | ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0009']", ns) as Element[]) {
      if (setText(e, fix.buyerSiret)) changed.push(e.name() === 'GlobalID' ? 'BT-46' : 'BT-47')
    }
  }
}

/** The invoice with its routing data corrected (only the fields given), or why it cannot be. */
export function correctRouting(bytes: Buffer, syntax: string | null, fix: RoutingFix, limits: XmlLimits): Corrected {
  if (syntax !== 'ubl-invoice' && syntax !== 'ubl-creditnote' && syntax !== 'cii') return { ok: false, reason: 'only a UBL or CII invoice can be corrected here' }
  const parsed = safeParse(bytes, limits)
  if (!parsed.ok) return { ok: false, reason: parsed.finding.message }
  const changed: string[] = []
  try {
    if (syntax !== 'cii') fixUbl(parsed.doc, fix, changed)
    else fixCii(parsed.doc, fix, changed)
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  }
  if (changed.length === 0) return { ok: false, reason: 'nothing was changed: correct at least one of the fields' }
  return { ok: true, xml: Buffer.from(parsed.doc.toString(false), 'utf8'), changed: [...new Set(changed)] }
}
