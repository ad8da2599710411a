// The Peppol envelope (Peppol Business Message Envelope 2.0: SBDH 1.3 schema, HeaderVersion 1.0): who sends
// to whom, which document type and process, the sender's country (COUNTRY_C1, mandatory since 2024-01-01),
// around the business document itself. Built by corner 2 and read back by corner 3.
import { XmlDocument, XmlElement } from 'libxml2-wasm'
import { XmlC14NMode } from 'libxml2-wasm/lib/c14n.mjs'
import type { Syntax } from '../../schemas/events.js'
import { DOCTYPE_SCHEME, PARTICIPANT_SCHEME, PROCESS_SCHEME, syntaxOfDocumentType, type PeppolId } from './identifiers.js'
import { escapeXml } from '../kit/safe-xml.js'

export const SBDH_NS = 'http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader'

export type Envelope = {
  sender: PeppolId
  receiver: PeppolId
  documentType: PeppolId
  process: PeppolId
  /** ISO 3166-1 alpha-2 country of the sender (C1), e.g. 'FR'. */
  countryC1: string
  /** Unique per message (a UUID). */
  instanceId: string
  createdAt: Date
}


/** The payload's root: namespace, local name and the version the document type id ends with. */
function rootOf(documentType: PeppolId): { standard: string; type: string; version: string } {
  const [root, rest] = documentType.value.split('##')
  const at = root!.lastIndexOf('::')
  return { standard: root!.slice(0, at), type: root!.slice(at + 2), version: rest?.slice(rest.lastIndexOf('::') + 2) ?? '' }
}

/** Strips a byte-order mark and the XML declaration: the document becomes element content of the envelope. */
function asContent(document: Buffer | string): string {
  const text = (typeof document === 'string' ? document : document.toString('utf8')).replace(/^\uFEFF/, '')
  return text.replace(/^\s*<\?xml[^?]*\?>\s*/, '')
}

export function wrap(envelope: Envelope, document: Buffer | string): string {
  const root = rootOf(envelope.documentType)
  const scope = (type: string, value: string, identifier?: string) =>
    `<Scope><Type>${type}</Type><InstanceIdentifier>${escapeXml(value)}</InstanceIdentifier>${identifier ? `<Identifier>${identifier}</Identifier>` : ''}</Scope>`
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<StandardBusinessDocument xmlns="${SBDH_NS}"><StandardBusinessDocumentHeader><HeaderVersion>1.0</HeaderVersion>` +
    `<Sender><Identifier Authority="${PARTICIPANT_SCHEME}">${escapeXml(envelope.sender.value)}</Identifier></Sender>` +
    `<Receiver><Identifier Authority="${PARTICIPANT_SCHEME}">${escapeXml(envelope.receiver.value)}</Identifier></Receiver>` +
    `<DocumentIdentification><Standard>${escapeXml(root.standard)}</Standard><TypeVersion>${escapeXml(root.version)}</TypeVersion>` +
    `<InstanceIdentifier>${escapeXml(envelope.instanceId)}</InstanceIdentifier><Type>${escapeXml(root.type)}</Type>` +
    `<CreationDateAndTime>${envelope.createdAt.toISOString()}</CreationDateAndTime></DocumentIdentification>` +
    '<BusinessScope>' +
    scope('DOCUMENTID', envelope.documentType.value, DOCTYPE_SCHEME) +
    scope('PROCESSID', envelope.process.value, PROCESS_SCHEME) +
    scope('COUNTRY_C1', envelope.countryC1) +
    '</BusinessScope></StandardBusinessDocumentHeader>' +
    asContent(document) +
    '</StandardBusinessDocument>\n'
}

export type Unwrapped = { ok: true; envelope: Envelope; syntax: Syntax; document: Buffer } | { ok: false; reason: string }

const ns = { sh: SBDH_NS }
const text = (ctx: XmlElement, path: string) => { const n = ctx.get(path, ns); return n instanceof XmlElement ? n.content.trim() : '' }
const attr = (ctx: XmlElement, path: string, name: string) => {
  const n = ctx.get(path, ns)
  return n instanceof XmlElement ? n.attrs.find((a) => a.name === name && !a.namespaceUri)?.value ?? '' : ''
}

/**
 * Reads an envelope and takes the business document out of it, checked against what the header announces
 * (root element and document type). The document comes out in canonical form (C14N 1.0 with comments: every
 * namespace in scope declared on its root), a well-formed document of its own.
 */
export function unwrap(xml: Buffer | string): Unwrapped {
  let doc: XmlDocument
  try {
    doc = typeof xml === 'string' ? XmlDocument.fromString(xml) : XmlDocument.fromBuffer(xml)
  } catch (error) {
    return { ok: false, reason: `the business message is not well-formed XML: ${(error as Error).message.split('\n')[0]}` }
  }
  try {
    if (doc.dtd !== null) return { ok: false, reason: 'the business message has a DOCTYPE' }
    const root = doc.root
    if (root.name !== 'StandardBusinessDocument' || root.namespaceUri !== SBDH_NS) return { ok: false, reason: `the business message is a ${root.name}, not a StandardBusinessDocument` }
    const header = root.get('sh:StandardBusinessDocumentHeader', ns)
    if (!(header instanceof XmlElement)) return { ok: false, reason: 'the StandardBusinessDocumentHeader is missing' }
    const version = text(header, 'sh:HeaderVersion')
    if (version !== '1.0') return { ok: false, reason: `HeaderVersion must be 1.0, not '${version}'` }
    const party = (role: 'Sender' | 'Receiver'): PeppolId | string => {
      const authority = attr(header, `sh:${role}/sh:Identifier`, 'Authority')
      const value = text(header, `sh:${role}/sh:Identifier`)
      if (authority !== PARTICIPANT_SCHEME || !value) return `the ${role} must be identified with Authority ${PARTICIPANT_SCHEME}`
      return { scheme: PARTICIPANT_SCHEME, value }
    }
    const sender = party('Sender')
    const receiver = party('Receiver')
    if (typeof sender === 'string') return { ok: false, reason: sender }
    if (typeof receiver === 'string') return { ok: false, reason: receiver }
    const scope = (type: string) => {
      const scopes = header.find(`sh:BusinessScope/sh:Scope[sh:Type = '${type}']`, ns).filter((s): s is XmlElement => s instanceof XmlElement)
      return scopes.length === 1 ? { value: text(scopes[0]!, 'sh:InstanceIdentifier'), identifier: text(scopes[0]!, 'sh:Identifier') } : null
    }
    const docScope = scope('DOCUMENTID')
    const processScope = scope('PROCESSID')
    const country = scope('COUNTRY_C1')
    if (!docScope?.value) return { ok: false, reason: 'exactly one DOCUMENTID scope is required' }
    if (!processScope?.value) return { ok: false, reason: 'exactly one PROCESSID scope is required' }
    if (!country || !/^[A-Z]{2}$/.test(country.value)) return { ok: false, reason: 'exactly one COUNTRY_C1 scope with an ISO 3166-1 alpha-2 code is required' }
    const documentType = { scheme: docScope.identifier || DOCTYPE_SCHEME, value: docScope.value }
    const process = { scheme: processScope.identifier || PROCESS_SCHEME, value: processScope.value }
    const syntax = syntaxOfDocumentType(documentType)
    if (!syntax) return { ok: false, reason: `document type ${documentType.value} is not one this hub receives (UBL 2.1 Invoice or CreditNote, CII D16B)` }
    const payloads = root.find('*[not(self::sh:StandardBusinessDocumentHeader)]', ns).filter((n): n is XmlElement => n instanceof XmlElement)
    if (payloads.length !== 1) return { ok: false, reason: `the envelope must hold exactly one business document, not ${payloads.length}` }
    const payload = payloads[0]!
    const announced = rootOf(documentType)
    if (payload.namespaceUri !== announced.standard || payload.name !== announced.type) {
      return { ok: false, reason: `the business document is {${payload.namespaceUri}}${payload.name}, but the header announces {${announced.standard}}${announced.type}` }
    }
    const canonical = payload.canonicalizeToString({ mode: XmlC14NMode.XML_C14N_1_0, withComments: true })
    const created = new Date(text(header, 'sh:DocumentIdentification/sh:CreationDateAndTime'))
    return {
      ok: true,
      syntax,
      document: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${canonical}\n`, 'utf8'),
      envelope: {
        sender, receiver, documentType, process, countryC1: country.value,
        instanceId: text(header, 'sh:DocumentIdentification/sh:InstanceIdentifier'),
        createdAt: Number.isNaN(created.getTime()) ? new Date(0) : created,
      },
    }
  } finally {
    doc.dispose()
  }
}

const ublParty = (role: 'AccountingSupplierParty' | 'AccountingCustomerParty') => `/*/cac:${role}/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode`
const ciiParty = (role: 'SellerTradeParty' | 'BuyerTradeParty') => `/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:${role}/ram:PostalTradeAddress/ram:CountryID`
const countryPaths: Record<'seller' | 'buyer', Record<Syntax, string>> = {
  seller: { 'ubl-invoice': ublParty('AccountingSupplierParty'), 'ubl-creditnote': ublParty('AccountingSupplierParty'), cii: ciiParty('SellerTradeParty') },
  buyer: { 'ubl-invoice': ublParty('AccountingCustomerParty'), 'ubl-creditnote': ublParty('AccountingCustomerParty'), cii: ciiParty('BuyerTradeParty') },
}
const docNs = {
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
  rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
}

/** The seller's (BT-40) or buyer's (BT-55) country code; null when the document has none. */
export function partyCountry(document: Buffer | string, syntax: Syntax, party: 'seller' | 'buyer'): string | null {
  const doc = typeof document === 'string' ? XmlDocument.fromString(document) : XmlDocument.fromBuffer(document)
  try {
    const node = doc.get(countryPaths[party][syntax], docNs)
    const code = node instanceof XmlElement ? node.content.trim().toUpperCase() : ''
    return /^[A-Z]{2}$/.test(code) ? code : null
  } finally {
    doc.dispose()
  }
}

/** The seller's country (BT-40), which is C1's country for COUNTRY_C1. */
export const sellerCountry = (document: Buffer | string, syntax: Syntax) => partyCountry(document, syntax, 'seller')
