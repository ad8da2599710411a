// What corner 2 reads from an invoice to send it over Peppol: its syntax, the document type and process ids
// (from CustomizationID BT-24 and ProfileID BT-23), the sender and receiver participant ids (the seller's and
// buyer's electronic addresses BT-34 and BT-49 with their schemes) and the seller's country for COUNTRY_C1.
import { XmlDocument, XmlElement } from 'libxml2-wasm'
import type { Syntax } from '../../schemas/events.js'
import { documentTypeId, parseParticipant, processId, type PeppolId } from './identifiers.js'
import { sellerCountry } from './sbdh.js'

export type OutboundEnvelope = { syntax: Syntax; documentType: PeppolId; process: PeppolId; sender: PeppolId; receiver: PeppolId; countryC1: string }

const ns = {
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
  rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
}
const roots: Record<string, Syntax> = {
  'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2 Invoice': 'ubl-invoice',
  'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2 CreditNote': 'ubl-creditnote',
  'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100 CrossIndustryInvoice': 'cii',
}
const ubl = { customization: '/*/cbc:CustomizationID', profile: '/*/cbc:ProfileID', seller: '/*/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID', buyer: '/*/cac:AccountingCustomerParty/cac:Party/cbc:EndpointID' }
const agreement = '/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement'
const paths: Record<Syntax, typeof ubl> = {
  'ubl-invoice': ubl,
  'ubl-creditnote': ubl,
  cii: {
    customization: '/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID',
    profile: '/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID',
    seller: `${agreement}/ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID`,
    buyer: `${agreement}/ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID`,
  },
}

export function outboundEnvelope(bytes: Buffer): { ok: true; envelope: OutboundEnvelope } | { ok: false; reason: string } {
  let doc: XmlDocument
  try { doc = XmlDocument.fromBuffer(bytes) } catch { return { ok: false, reason: 'the document is not well-formed XML' } }
  try {
    const syntax = roots[`${doc.root.namespaceUri} ${doc.root.name}`]
    if (!syntax) return { ok: false, reason: `a ${doc.root.name} cannot be sent over Peppol by this hub (UBL Invoice, CreditNote or CII only)` }
    const p = paths[syntax]
    const value = (path: string) => { const n = doc.get(path, ns); return n instanceof XmlElement ? n.content.trim() : '' }
    const address = (path: string, term: string): PeppolId | string => {
      const n = doc.get(path, ns)
      if (!(n instanceof XmlElement)) return `${term} (electronic address) is missing: Peppol needs it to address the message`
      const scheme = n.attrs.find((a) => a.name === 'schemeID')?.value ?? ''
      const parsed = parseParticipant(`${scheme}:${n.content.trim()}`)
      return parsed.ok ? parsed.id : `${term} ${scheme}:${n.content.trim()} is not a Peppol participant id (${parsed.reason})`
    }
    const customization = value(p.customization)
    const profile = value(p.profile)
    if (!customization) return { ok: false, reason: 'the specification identifier (BT-24) is missing: the Peppol document type is made from it' }
    if (!profile) return { ok: false, reason: 'the business process type (BT-23) is missing: Peppol BIS Billing 3.0 requires it (PEPPOL-EN16931-R001)' }
    const sender = address(p.seller, 'the seller\'s BT-34')
    const receiver = address(p.buyer, 'the buyer\'s BT-49')
    if (typeof sender === 'string') return { ok: false, reason: sender }
    if (typeof receiver === 'string') return { ok: false, reason: receiver }
    const countryC1 = sellerCountry(bytes, syntax)
    if (!countryC1) return { ok: false, reason: 'the seller\'s country (BT-40) is missing: the Peppol envelope needs it (COUNTRY_C1)' }
    return { ok: true, envelope: { syntax, documentType: documentTypeId(syntax, customization), process: processId(profile), sender, receiver, countryC1 } }
  } finally {
    doc.dispose()
  }
}
