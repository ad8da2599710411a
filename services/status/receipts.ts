// Receipts: for every status change of a document, the hub answers the document's SENDER with a UBL 2.1
// ApplicationResponse. Two Peppol profiles of that one UBL document are used:
//
// - Peppol Message Level Response 3.0 (T71, BIS "Message Level Response", CustomizationID
//   urn:fdc:peppol.eu:poacc:trns:mlr:3) for what the hub itself decides on receipt: rejected (REJETEE),
//   to be recycled (A_RECYCLER), made available to the recipient (MISE_A_DISPOSITION). Its issuer is the hub.
// - Peppol Invoice Response 3 (T111, CustomizationID urn:fdc:peppol.eu:poacc:trns:invoice_response:3) for
//   the business statuses set after delivery (PRISE_EN_CHARGE … ENCAISSEE), mapped to the UNCL4343 subset
//   the BIS allows. Its issuer is the invoice's buyer.
//
// Both are checked in receipts.test.ts against the UBL 2.1 XSD and the official Peppol Schematron
// (PEPPOLBIS-T71 / PEPPOLBIS-T111 of phive-rules-peppol). The element order below is the XSD sequence of
// ApplicationResponseType (CustomizationID, ProfileID, ID, IssueDate, IssueTime, Note, SenderParty,
// ReceiverParty, DocumentResponse) and of DocumentResponseType (Response, DocumentReference, IssuerParty,
// RecipientParty, LineResponse); the elements used are only those of the two BIS data models, since both
// Schematrons reject any other element ("Document MUST NOT contain elements not part of the data model")
// and any empty one (PEPPOL-COMMON-R001).
//
// Pure: no I/O, no clock; the same input always gives the same XML.
import type { Finding, RoutingReason } from '../../schemas/events.js'
import { isStatus, statuses } from '../../schemas/lifecycle.js'
import { escapeXml, xmlSafe } from '../kit/safe-xml.js'

export type ReceiptInput = {
  documentId: string            // the hub's id of the invoice
  sequence: number              // the status event's sequence number (makes the receipt id unique: `${documentId}-${sequence}`)
  status: string                // hub or business status (DEPOSEE, REJETEE, A_RECYCLER, MISE_A_DISPOSITION, PRISE_EN_CHARGE, …)
  code: string | null           // French reform code, e.g. '204'
  at: number                    // epoch ms of the status change (IssueDate/IssueTime in UTC)
  reason: string | null
  findings: Finding[]           // for REJETEE
  routingReasons: RoutingReason[] // for A_RECYCLER ({ code, field, message })
  invoice: { number: string | null; issueDate: string | null; typeCode: string | null } // BT-1, BT-2, BT-3 of the invoice answered; null when unknown
  sender: { scheme: string | null; value: string | null; name: string | null }     // the invoice's seller / sending partner (receiver of the response)
  recipient: { scheme: string | null; value: string | null; name: string | null }  // the invoice's buyer (issuer of an Invoice Response)
  hub: { name: string; endpoint: { scheme: string; value: string } } // the hub's own identity, issuer of an MLR
}

export type Receipt = { kind: 'mlr' | 'invoice-response'; responseCode: string; xml: string }

export const MLR_CUSTOMIZATION_ID = 'urn:fdc:peppol.eu:poacc:trns:mlr:3'
export const MLR_PROFILE_ID = 'urn:fdc:peppol.eu:poacc:bis:mlr:3'
export const INVOICE_RESPONSE_CUSTOMIZATION_ID = 'urn:fdc:peppol.eu:poacc:trns:invoice_response:3'
export const INVOICE_RESPONSE_PROFILE_ID = 'urn:fdc:peppol.eu:poacc:bis:invoice_response:3'

/** A rejection can carry thousands of findings (hostile documents); the receipt lists the first ones. */
export const MAX_LINE_RESPONSES = 200

/**
 * No receipt for these, on purpose:
 * - DEPOSEE: the deposit itself is answered synchronously by the gateway (HTTP 202 with the document id);
 *   an MLR says what became of the message, and nothing has yet (the next status will say it: REJETEE,
 *   A_RECYCLER or MISE_A_DISPOSITION). Peppol's optional "AB" acknowledgement would only add traffic.
 * - ECHEC_DISTRIBUTION, EN_ERREUR, RELANCEE: the hub's own technical states (RELANCEE: the operator's replay) (delivery given up, processing parked in
 *   a dead-letter topic). The document is neither rejected nor accepted: an operator replays it, and it then
 *   reaches an outcome that does get its receipt. Telling the sender "RE" would make it resubmit a document
 *   the hub still holds (a duplicate), and MLR has no code for "our fault, wait".
 */
export const NO_RECEIPT: readonly string[] = ['DEPOSEE', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'RELANCEE']

/**
 * MLR ResponseCode, UNCL4343 subset of the BIS (AB, AP, RE):
 * - REJETEE → RE "Rejected": the message failed validation; one LineResponse per finding.
 * - A_RECYCLER → RE: Chorus Pro's "à recycler" means the document cannot be routed as it is (unknown or
 *   closed service code BT-10, missing commitment BT-13, unknown structure BT-47/BT-49) and the sender must
 *   correct it and resubmit it, under the same number (routing's `resubmissionOf`). The MLR has no code
 *   between accepted and rejected ("AB" only acknowledges receipt and asks nothing of the sender), and the
 *   document is not delivered: RE, with one LineResponse per routing reason naming the business term.
 * - MISE_A_DISPOSITION → AP "Accepted": validated and made available to the recipient.
 */
export const mlrResponseCodes: Readonly<Record<string, 'AP' | 'RE'>> = {
  REJETEE: 'RE',
  A_RECYCLER: 'RE',
  MISE_A_DISPOSITION: 'AP',
}

/**
 * Invoice Response ResponseCode, the UNCL4343 subset of Peppol BIS Invoice Response 3 (code list
 * "UNCL4343OpSubset"): AB message acknowledgement (received), IP in process, UQ under query (processing
 * halted until the seller clarifies), CA conditionally accepted (the buyer accepts under the conditions it
 * states), RE rejected (the buyer will not process it further), AP accepted (final approval, next step is
 * payment), PD paid (the buyer has initiated the payment).
 */
export const invoiceResponseCodes: Readonly<Record<string, 'IP' | 'UQ' | 'CA' | 'RE' | 'AP' | 'PD'>> = {
  PRISE_EN_CHARGE: 'IP',          // 204 "prise en charge": taken into the buyer's processing (IR use case 1, "in process")
  APPROUVEE: 'AP',                // 205: approved for payment
  APPROUVEE_PARTIELLEMENT: 'CA',  // 206: approved for part of the amount; the rest is the condition (typically a credit note)
  EN_LITIGE: 'UQ',                // 207: disputed, processing halted until the seller answers
  SUSPENDUE: 'UQ',                // 208: suspended for missing information or attachments (+ action PIN below)
  COMPLETEE: 'IP',                // 209: the seller completed a suspended invoice: it is back in the buyer's processing
  REFUSEE: 'RE',                  // 210: refused, will not be processed further
  SERVICE_FAIT: 'IP',             // Chorus Pro "service fait": delivery certified, a verification step before payment
  // Chorus Pro "mandatée": the authorising officer has issued the payment order; the expenditure is
  // approved and the next step is payment, which is the BIS's definition of AP (not IP as first proposed).
  MANDATEE: 'AP',
  // Chorus Pro "mise en paiement": the public accountant has put the invoice into payment (payment date
  // known): the payment is initiated, which is PD (not IP as first proposed).
  MISE_EN_PAIEMENT: 'PD',
  PAIEMENT_TRANSMIS: 'PD',        // 211: payment transmitted
  ENCAISSEE: 'PD',                // 212: the seller declares the payment received; PD is the last code the BIS has
}

/**
 * UNCL4343 codes after which the BIS requires a clarification (PEPPOL-T111-R001, fatal: "If status code is
 * one of CA, UQ or RE then there SHALL be a clarification code").
 */
const NEEDS_CLARIFICATION = new Set(['CA', 'UQ', 'RE'])

/**
 * Clarification action (code list OPStatusAction) implied by the status itself, where it is definitional:
 * a SUSPENDUE invoice waits for the seller to provide missing information or documents, PIN "Provide
 * information". For the others the reason is free text the hub cannot classify: OPStatusReason OTH "Other"
 * with the text in StatusReason (PEPPOL-T111-R002 asks for StatusReason with OTH).
 */
const STATUS_ACTIONS: Readonly<Record<string, string>> = { SUSPENDUE: 'PIN' }

/** The invoice type codes of EN 16931 (BR-CL-01), all UNCL1001 codes (PEPPOL-T71-B01901, PEPPOL-T111-B04201). */
const INVOICE_TYPE_CODES = new Set(('71 80 81 82 83 84 102 130 202 203 204 211 218 219 261 262 295 296 308 325 326 '
  + '331 380 381 382 383 384 385 386 387 388 389 390 393 394 395 396 420 456 457 458 527 532 553 575 623 633 751 '
  + '780 817 870 875 876 877 935').split(' '))

// ---- XML writing ----

/** A value worth writing: not null and with something left once illegal characters and spaces are gone. */
function present(value: string | null | undefined): value is string {
  return value != null && xmlSafe(value).trim() !== ''
}

type Node = string | null | false | undefined | Node[]

/** `<name attrs>text</name>`, or nothing when the text is absent (the BIS forbids empty elements). */
function leaf(name: string, text: string | null | undefined, attrs: Record<string, string | null | undefined> = {}): string | null {
  if (!present(text)) return null
  const a = Object.entries(attrs).filter(([, v]) => present(v)).map(([k, v]) => ` ${k}="${escapeXml(xmlSafe(v!).trim())}"`).join('')
  return `<${name}${a}>${escapeXml(xmlSafe(text).trim())}</${name}>`
}

/** An aggregate with its children, or nothing when none of them is present. */
function group(name: string, ...children: Node[]): string | null {
  const inner = flatten(children)
  return inner.length === 0 ? null : `<${name}>${inner.join('')}</${name}>`
}

function flatten(nodes: Node[]): string[] {
  return nodes.flatMap((n) => (Array.isArray(n) ? flatten(n) : n ? [n] : []))
}

// ---- Building ----

/** The receipt for one status change, or null for the statuses that get none (NO_RECEIPT). */
export function buildReceipt(input: ReceiptInput): Receipt | null {
  if (NO_RECEIPT.includes(input.status)) return null
  const mlrCode = mlrResponseCodes[input.status]
  if (mlrCode) return { kind: 'mlr', responseCode: mlrCode, xml: messageLevelResponse(input, mlrCode) }
  const irCode = invoiceResponseCodes[input.status]
  if (irCode) return { kind: 'invoice-response', responseCode: irCode, xml: invoiceResponse(input, irCode) }
  // A status added to the lifecycle without a receipt decision is a bug to see, not a receipt to skip.
  throw new Error(`no receipt mapping for status ${JSON.stringify(input.status)}`)
}

/** `${documentId}-${sequence}`: one receipt per status event, so unique per (document, sequence). */
export function receiptId(input: Pick<ReceiptInput, 'documentId' | 'sequence'>): string {
  return `${input.documentId}-${input.sequence}`
}

/** "PRISE_EN_CHARGE (204)", "A_RECYCLER": the French status with its reform code when it has one. */
function statusLabel(input: ReceiptInput): string {
  return present(input.code) ? `${input.status} (${input.code.trim()})` : input.status
}

function header(input: ReceiptInput, customizationId: string, profileId: string): string[] {
  const at = new Date(input.at)
  if (Number.isNaN(at.getTime())) throw new Error(`invalid status time ${input.at}`)
  const iso = at.toISOString() // yyyy-mm-ddThh:mm:ss.sssZ, always UTC
  return flatten([
    leaf('cbc:CustomizationID', customizationId),
    leaf('cbc:ProfileID', profileId),
    leaf('cbc:ID', receiptId(input)),
    leaf('cbc:IssueDate', iso.slice(0, 10)),     // "YYYY-MM-DD" (PEPPOL-COMMON-R030)
    leaf('cbc:IssueTime', `${iso.slice(11, 19)}Z`), // xs:time, explicitly UTC
  ])
}

function document(body: Node[]): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + '<ApplicationResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"'
    + ' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"'
    + ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
    + flatten(body).join('') + '</ApplicationResponse>\n'
}

/** An electronic address (EAS scheme, PEPPOL-T71-B00801/B01101: schemeID mandatory) when there is one. */
function endpoint(party: { scheme: string | null; value: string | null }): string | null {
  return leaf('cbc:EndpointID', party.value, { schemeID: party.scheme })
}

const hasAddress = (p: { scheme: string | null; value: string | null }) => present(p.scheme) && present(p.value)

/** A valid UNCL1001 invoice type code (BT-3), or null. */
function typeCode(code: string | null): string | null {
  return present(code) && INVOICE_TYPE_CODES.has(code.trim()) ? code.trim() : null
}

/** BT-2 when it is an xs:date the BIS accepts ("YYYY-MM-DD", a real day). */
function isoDate(date: string | null): string | null {
  if (!present(date) || !/^\d{4}-\d{2}-\d{2}$/.test(date.trim())) return null
  const d = new Date(`${date.trim()}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date.trim() ? date.trim() : null
}

// ---- Message Level Response (T71) ----

/** Finding → MLR status reason (code list "Status reason code (OpenPeppol)": BV, BW, SV). */
export function statusReasonOf(finding: Finding): 'BV' | 'BW' | 'SV' {
  // SV "Syntax violation": not well-formed, not valid against the XSD, not a syntax the hub reads.
  if (finding.pack === 'xsd' || /^FACTEUR-(XML|XSD|SYNTAX|FILE)(-|$)/.test(finding.ruleId)) return 'SV'
  // BV "Business rule violation, fatal" leads to rejection; BW "Business rule violation, warning" does not.
  return finding.severity === 'fatal' ? 'BV' : 'BW'
}

type Line = { lineId: string; code: 'RE' | 'AB'; description: string; reason: 'BV' | 'BW' | 'SV' }

/**
 * One LineResponse per fatal finding, then per warning (information findings are left out).
 * LineID: per the MLR BIS, the XPath of the element in error, or the dummy value "NA" when no XPath can
 * be given (LineID is mandatory in UBL); a parse error's `line N` is such a case and goes into the
 * description. Line ResponseCode: RE for what rejects the document; AB (acknowledged) for a warning, which
 * is reported but rejects nothing. Description: "[rule id] message", as in the BIS's own example.
 */
function findingLines(findings: readonly Finding[]): Line[] {
  const ordered = [...findings.filter((f) => f.severity === 'fatal'), ...findings.filter((f) => f.severity === 'warning')]
  return ordered.map((f) => {
    const location = (f.location ?? '').trim()
    const xpath = location.startsWith('/')
    const text = present(f.message) ? f.message.trim() : 'no message'
    return {
      lineId: xpath ? location : 'NA',
      code: f.severity === 'fatal' ? 'RE' : 'AB',
      description: `[${present(f.ruleId) ? f.ruleId.trim() : 'unknown rule'}] ${text}${!xpath && present(location) ? ` (${location})` : ''}`,
      reason: statusReasonOf(f),
    }
  })
}

/**
 * One LineResponse per routing reason. LineID is the business term to correct (BT-10, BT-13, BT-47, BT-49)
 * rather than an XPath: the hub routes UBL Invoice, UBL CreditNote and CII alike and the reason names the
 * EN 16931 term, which is the same in all three and what Chorus Pro shows. The BIS text asks for an XPath
 * or "NA"; the Schematron does not check the form, and a term is more useful to the sender than "NA".
 * A reason without a term gets "NA". The status reason is BV: the document is well-formed and valid, it
 * breaks the routing rules of the directory (a business rule), and that blocks it.
 */
function routingLines(reasons: readonly RoutingReason[]): Line[] {
  return reasons.map((r) => ({
    lineId: present(r.field) ? r.field.trim() : 'NA',
    code: 'RE',
    description: `[${present(r.code) ? r.code.trim() : 'ROUTING'}] ${present(r.message) ? r.message.trim() : 'cannot be routed'}`,
    reason: 'BV',
  }))
}

function messageLevelResponse(input: ReceiptInput, code: 'AP' | 'RE'): string {
  const all = input.status === 'REJETEE' ? findingLines(input.findings)
    : input.status === 'A_RECYCLER' ? routingLines(input.routingReasons) : []
  const lines = all.slice(0, MAX_LINE_RESPONSES)
  const omitted = all.length - lines.length
  const summary = input.status === 'A_RECYCLER'
    ? 'to be corrected and resubmitted under the same invoice number'
    : input.status === 'REJETEE' ? 'rejected' : 'delivered to the recipient'
  const description = `${statusLabel(input)}: ${present(input.reason) ? input.reason.trim() : summary}`
    + (omitted > 0 ? ` (first ${lines.length} of ${all.length} issues listed)` : '')
  return document([
    ...header(input, MLR_CUSTOMIZATION_ID, MLR_PROFILE_ID),
    // T71 data model: SenderParty and ReceiverParty carry the electronic address only. The sender of the MLR
    // is the hub (the party that received the business document); the receiver is the document's sender.
    `<cac:SenderParty>${endpoint(input.hub.endpoint) ?? ''}</cac:SenderParty>`,
    // When the document could not be parsed the caller should still pass the depositing partner's address.
    // Without any, the element stays empty: the receipt remains XSD-valid for the partner's API channel but
    // is not sendable over Peppol (PEPPOL-T71-B01001), which it could not be anyway.
    `<cac:ReceiverParty>${endpoint(input.sender) ?? ''}</cac:ReceiverParty>`,
    group('cac:DocumentResponse',
      group('cac:Response', leaf('cbc:ResponseCode', code), leaf('cbc:Description', description)),
      // The BIS: DocumentReference/ID is the identifier of the message responded to (its envelope's instance
      // identifier), not the invoice number, which a rejected document may not even have: the hub's id.
      // IssueDate is not in the T71 data model; the type code is, when it is a valid UNCL1001 code.
      group('cac:DocumentReference', leaf('cbc:ID', input.documentId), leaf('cbc:DocumentTypeCode', typeCode(input.invoice.typeCode))),
      lines.map((l) => group('cac:LineResponse',
        group('cac:LineReference', leaf('cbc:LineID', l.lineId)),
        group('cac:Response',
          leaf('cbc:ResponseCode', l.code),
          leaf('cbc:Description', l.description),
          group('cac:Status', leaf('cbc:StatusReasonCode', l.reason)))))),
  ])
}

// ---- Invoice Response (T111) ----

type Party = { scheme: string | null; value: string | null; name: string | null }

/** SenderParty / ReceiverParty of T111: EndpointID (mandatory) and PartyLegalEntity/RegistrationName (mandatory). */
function irParty(element: string, party: Party, fallbackName: string): string {
  return `<${element}>${flatten([
    endpoint(party),
    group('cac:PartyLegalEntity', leaf('cbc:RegistrationName', present(party.name) ? party.name : fallbackName)),
  ]).join('')}</${element}>`
}

function invoiceResponse(input: ReceiptInput, code: string): string {
  // The issuer is the buyer when the status is the buyer's and it has an electronic address. Otherwise the
  // hub sends it as a third party and names the buyer in DocumentResponse/RecipientParty, as the BIS does
  // for an invoice processing service acting for the buyer (use case 8): statuses the seller sets itself
  // (COMPLETEE, ENCAISSEE) are confirmed by the hub, and a buyer without a Peppol address (a public
  // structure reached through the hub, as with Chorus Pro) has its statuses relayed by the hub.
  const byBuyer = !isStatus(input.status) || statuses[input.status].by === 'recipient'
  const buyerIssues = byBuyer && hasAddress(input.recipient)
  const issuer: Party = buyerIssues ? input.recipient : { ...input.hub.endpoint, name: input.hub.name }
  const buyerName = present(input.recipient.name) ? input.recipient.name : null
  const buyerId = present(input.recipient.value) ? input.recipient.value : null

  // Clarification (cac:Status): the French status and its code always go in StatusReason, with the reason,
  // e.g. "PRISE_EN_CHARGE (204): …"; a code from OPStatusReason / OPStatusAction where the BIS requires one.
  const label = statusLabel(input)
  const statusText = present(input.reason) ? `${label}: ${input.reason.trim()}` : label
  const action = STATUS_ACTIONS[input.status]
  const statusGroups: Node[] = []
  if (NEEDS_CLARIFICATION.has(code) && action) {
    statusGroups.push(group('cac:Status', leaf('cbc:StatusReasonCode', action, { listID: 'OPStatusAction' }), leaf('cbc:StatusReason', statusText)))
  } else if (NEEDS_CLARIFICATION.has(code)) {
    statusGroups.push(group('cac:Status', leaf('cbc:StatusReasonCode', 'OTH', { listID: 'OPStatusReason' }), leaf('cbc:StatusReason', statusText)))
  } else {
    statusGroups.push(group('cac:Status', leaf('cbc:StatusReason', statusText)))
  }

  return document([
    ...header(input, INVOICE_RESPONSE_CUSTOMIZATION_ID, INVOICE_RESPONSE_PROFILE_ID),
    irParty('cac:SenderParty', issuer, buyerIssues ? 'buyer' : input.hub.name),
    irParty('cac:ReceiverParty', input.sender, present(input.sender.value) ? input.sender.value : 'seller'),
    group('cac:DocumentResponse',
      group('cac:Response',
        leaf('cbc:ResponseCode', code, { listID: 'UNCL4343OpSubset' }),
        // EffectiveDate: the date the status took effect, the day of the status change (UTC).
        leaf('cbc:EffectiveDate', new Date(input.at).toISOString().slice(0, 10)),
        statusGroups),
      group('cac:DocumentReference',
        // The invoice answered: BT-1 (the hub's id if the number is unknown), BT-2, BT-3. DocumentTypeCode is
        // mandatory in T111 (PEPPOL-T111-B03902): 380 "commercial invoice" when BT-3 is unknown or invalid.
        leaf('cbc:ID', present(input.invoice.number) ? input.invoice.number : input.documentId),
        leaf('cbc:IssueDate', isoDate(input.invoice.issueDate)),
        leaf('cbc:DocumentTypeCode', typeCode(input.invoice.typeCode) ?? '380', { listID: 'UNCL1001' })),
      !buyerIssues && (buyerName || buyerId) && group('cac:RecipientParty',
        // ICD scheme on PartyIdentification/ID only when it is the buyer's identifier scheme (e.g. 0009 SIRET).
        group('cac:PartyIdentification', leaf('cbc:ID', buyerId, { schemeID: /^\d{4}$/.test(input.recipient.scheme?.trim() ?? '') ? input.recipient.scheme : null })),
        group('cac:PartyName', leaf('cbc:Name', buyerName ?? buyerId)))),
  ])
}
