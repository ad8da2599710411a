// Corner 3's side of a Peppol AS4 exchange, and corner 2's reading of the answer: a user message is taken apart
// (MIME, SOAP, WS-Security), checked (the sender's certificate against the trusted AP CA, the encryption for
// this hub's certificate, every signature reference including the attachment), decrypted and decompressed; the
// answer is a signed receipt repeating the signed references (non-repudiation), or an ebMS error signal.
// Anything wrong is an ebMS error with its code (ebMS 3.0 core §6.7), never an exception to the caller.
import { X509Certificate, randomUUID, type KeyObject } from 'node:crypto'
import { XmlDocument, XmlElement } from 'libxml2-wasm'
import { alg, canonicalSubtree, dereferenceInDocument, elementById, sameNode, verifySignature } from './xmldsig.js'
import { decompress, decryptContent, encAlg, unwrapKey } from './as4-crypto.js'
import { parseMultipart, partByCid, type Part } from './mime.js'
import { nsUri, peppol, signParts, signatureXml, type Signer, type UserMessage } from './as4-message.js'
import { DOCTYPE_SCHEME, PARTICIPANT_SCHEME, PROCESS_SCHEME, parseQualified, type PeppolId } from './identifiers.js'
import { escapeXml } from '../kit/safe-xml.js'

const ns = { S12: nsUri.S12, eb: nsUri.eb, wsse: nsUri.wsse, wsu: nsUri.wsu, ds: nsUri.ds, xenc: nsUri.xenc, xenc11: nsUri.xenc11, ebbp: nsUri.ebbp }

/** ebMS 3.0 error codes used here (core §6.7.2, and the AS4 profile's EBMS:0303). */
export const ebmsErrors = {
  valueNotRecognized: 'EBMS:0001', valueInconsistent: 'EBMS:0003', other: 'EBMS:0004', invalidHeader: 'EBMS:0009',
  failedAuthentication: 'EBMS:0101', failedDecryption: 'EBMS:0102', policyNoncompliance: 'EBMS:0103', decompressionFailure: 'EBMS:0303',
} as const

/**
 * An ebMS error to answer. `detail` goes in eb:ErrorDetail, what a sending MSH reads by machine (the Peppol AS4
 * profile puts `PEPPOL:NOT_SERVICED` there); `description`, for the people reading the sender's logs, goes in
 * eb:Description (`detail` when absent).
 */
export type EbmsError = { code: string; shortDescription: string; detail: string; description?: string; refToMessageId: string | null }

/** Peppol AS4 profile 2.0 §4.4: EBMS:0004 with this ErrorDetail when the receiver, or its document type or process, is not served here. */
export const NOT_SERVICED = 'PEPPOL:NOT_SERVICED'

export type Received = {
  ok: true
  message: UserMessage
  /** The decompressed business message (the SBDH). */
  sbdh: Buffer
  senderCertificate: Buffer
  /** The user message signature's ds:Reference elements, canonical: what the receipt repeats. */
  references: string[]
}

export type ReceiveOptions = {
  own: Signer & { seatId: string }
  /** Checks the sender's certificate (chain to the trusted AP CA, validity, key usage). */
  trust: (certificate: Buffer) => { ok: true } | { ok: false; reason: string }
  maxPayloadBytes: number
}

const text = (ctx: XmlElement | null, path: string) => { const n = ctx?.get(path, ns); return n instanceof XmlElement ? n.content.trim() : '' }
const attr = (el: XmlElement | null, name: string, uri = '') => el?.attrs.find((a) => a.name === name && a.namespaceUri === uri)?.value ?? ''
const element = (ctx: XmlElement | XmlDocument, path: string) => { const n = ctx.get(path, ns); return n instanceof XmlElement ? n : null }
const elements = (ctx: XmlElement | XmlDocument, path: string) => ctx.find(path, ns).filter((n): n is XmlElement => n instanceof XmlElement)

/** The BinarySecurityToken a SecurityTokenReference points at (`#id`), as a DER certificate. */
function tokenCertificate(doc: XmlDocument, keyInfo: XmlElement | null): Buffer | null {
  const uri = attr(element(keyInfo ?? doc.root, 'wsse:SecurityTokenReference/wsse:Reference'), 'URI')
  if (!uri.startsWith('#')) return null
  const token = elementById(doc, uri.slice(1))
  if (!token || token.name !== 'BinarySecurityToken' || token.namespaceUri !== nsUri.wsse) return null
  if (attr(token, 'ValueType') !== peppol.x509v3) return null
  return Buffer.from(token.content.replace(/\s+/g, ''), 'base64')
}

export async function readUserMessage(contentType: string, body: Buffer, options: ReceiveOptions): Promise<Received | { ok: false; error: EbmsError }> {
  let refToMessageId: string | null = null
  const fail = (code: string, shortDescription: string, detail: string) => ({ ok: false as const, error: { code, shortDescription, detail, refToMessageId } })
  const mime = parseMultipart(contentType, body)
  if (!mime.ok) return fail(ebmsErrors.invalidHeader, 'InvalidHeader', mime.reason)
  let doc: XmlDocument
  try {
    doc = XmlDocument.fromBuffer(mime.root.body)
  } catch (error) {
    return fail(ebmsErrors.invalidHeader, 'InvalidHeader', `the SOAP envelope is not well-formed XML: ${(error as Error).message.split('\n')[0]}`)
  }
  try {
    if (doc.dtd !== null) return fail(ebmsErrors.invalidHeader, 'InvalidHeader', 'a DOCTYPE is not allowed in a SOAP message')
    const messaging = element(doc, '/S12:Envelope/S12:Header/eb:Messaging')
    const user = messaging && element(messaging, 'eb:UserMessage')
    if (!messaging || !user) return fail(ebmsErrors.invalidHeader, 'InvalidHeader', 'no eb:Messaging with an eb:UserMessage in the SOAP header')
    refToMessageId = text(user, 'eb:MessageInfo/eb:MessageId') || null
    const header = readHeader(user)
    if (!header.ok) return fail(header.code, header.short, header.detail)
    const m = header.message
    if (m.to !== options.own.seatId) return fail(ebmsErrors.valueInconsistent, 'ValueInconsistent', `the message is addressed to ${m.to}, not to this access point (${options.own.seatId})`)

    const security = element(doc, '/S12:Envelope/S12:Header/wsse:Security')
    const signature = security && element(security, 'ds:Signature')
    if (!security || !signature) return fail(ebmsErrors.policyNoncompliance, 'PolicyNoncompliance', 'the message is not signed (no ds:Signature in wsse:Security)')
    const senderCertificate = tokenCertificate(doc, element(signature, 'ds:KeyInfo'))
    if (!senderCertificate) return fail(ebmsErrors.failedAuthentication, 'FailedAuthentication', 'the signature does not reference an X509v3 BinarySecurityToken')
    let senderKey: KeyObject
    try { senderKey = new X509Certificate(senderCertificate).publicKey } catch { return fail(ebmsErrors.failedAuthentication, 'FailedAuthentication', 'the sender\'s certificate cannot be read') }
    const trusted = options.trust(senderCertificate)
    if (!trusted.ok) return fail(ebmsErrors.failedAuthentication, 'FailedAuthentication', `the sender's certificate is not trusted: ${trusted.reason}`)

    // The one payload: the PartInfo's cid, encrypted for this hub.
    const href = attr(element(user, 'eb:PayloadInfo/eb:PartInfo'), 'href')
    const attachment = partByCid(mime.attachments, href)
    if (!attachment || elements(user, 'eb:PayloadInfo/eb:PartInfo').length !== 1 || mime.attachments.length !== 1) {
      return fail(ebmsErrors.valueInconsistent, 'ValueInconsistent', 'the message must carry exactly one payload, as a MIME attachment named by its PartInfo')
    }
    const decrypted = decryptAttachment(doc, security, attachment, href, options.own)
    if (!decrypted.ok) return fail(ebmsErrors.failedDecryption, 'FailedDecryption', decrypted.reason)

    const messagingId = attr(messaging, 'Id', nsUri.wsu)
    const bodyId = attr(element(doc, '/S12:Envelope/S12:Body'), 'Id', nsUri.wsu)
    const verified = verifySignature(signature, senderKey, (uri, transforms) => {
      if (uri === href) return transforms.length === 1 && transforms[0]!.algorithm === alg.attachmentContent ? decrypted.content : null
      return dereferenceInDocument(doc, signature, uri, transforms)
    }, [`#${messagingId}`, `#${bodyId}`, href])
    if (!verified.ok) return fail(ebmsErrors.failedAuthentication, 'FailedAuthentication', verified.reason)
    // The signed parts must be the ones this reader used, not look-alikes elsewhere (signature wrapping).
    const signedMessaging = elementById(doc, messagingId)
    if (!messagingId || !bodyId || !signedMessaging || !sameNode(signedMessaging, messaging)) {
      return fail(ebmsErrors.failedAuthentication, 'FailedAuthentication', 'the signature does not cover the eb:Messaging header that was read')
    }

    const compression = user.get("eb:PayloadInfo/eb:PartInfo/eb:PartProperties/eb:Property[@name='CompressionType']", ns)
    if (!(compression instanceof XmlElement) || compression.content.trim() !== 'application/gzip') {
      return fail(ebmsErrors.valueInconsistent, 'ValueInconsistent', 'the payload must be gzip-compressed (CompressionType application/gzip)')
    }
    const sbdh = await decompress(decrypted.content, options.maxPayloadBytes)
    if (!sbdh.ok) return fail(ebmsErrors.decompressionFailure, 'DecompressionFailure', sbdh.reason)
    const references = elements(signature, 'ds:SignedInfo/ds:Reference').map((r) => canonicalSubtree(r).toString('utf8'))
    return { ok: true, message: m, sbdh: sbdh.bytes, senderCertificate, references }
  } finally {
    doc.dispose()
  }
}

type Header = { ok: true; message: UserMessage } | { ok: false; code: string; short: string; detail: string }

function readHeader(user: XmlElement): Header {
  const bad = (detail: string): Header => ({ ok: false, code: ebmsErrors.invalidHeader, short: 'InvalidHeader', detail })
  const messageId = text(user, 'eb:MessageInfo/eb:MessageId')
  if (!messageId) return bad('eb:MessageId is missing')
  const party = (role: 'From' | 'To') => {
    const id = element(user, `eb:PartyInfo/eb:${role}/eb:PartyId`)
    return id && attr(id, 'type') === peppol.partyIdType ? id.content.trim() : null
  }
  const from = party('From')
  const to = party('To')
  if (!from || !to) return bad(`eb:From and eb:To need a PartyId of type ${peppol.partyIdType}`)
  if (text(user, 'eb:CollaborationInfo/eb:AgreementRef') !== peppol.agreement) return { ok: false, code: ebmsErrors.valueNotRecognized, short: 'ValueNotRecognized', detail: `eb:AgreementRef must be ${peppol.agreement}` }
  const service = element(user, 'eb:CollaborationInfo/eb:Service')
  const action = parseQualified(text(user, 'eb:CollaborationInfo/eb:Action'))
  if (!service || attr(service, 'type') !== PROCESS_SCHEME || !action || action.scheme !== DOCTYPE_SCHEME) {
    return { ok: false, code: ebmsErrors.valueNotRecognized, short: 'ValueNotRecognized', detail: `eb:Service must have type ${PROCESS_SCHEME} and eb:Action be ${DOCTYPE_SCHEME}::<document type>` }
  }
  const property = (name: string): PeppolId | null => {
    const p = user.get(`eb:MessageProperties/eb:Property[@name='${name}']`, ns)
    return p instanceof XmlElement && attr(p, 'type') === PARTICIPANT_SCHEME && p.content.trim() ? { scheme: PARTICIPANT_SCHEME, value: p.content.trim() } : null
  }
  const originalSender = property('originalSender')
  const finalRecipient = property('finalRecipient')
  if (!originalSender || !finalRecipient) return bad('the originalSender and finalRecipient message properties (type iso6523-actorid-upis) are required')
  const timestamp = new Date(text(user, 'eb:MessageInfo/eb:Timestamp'))
  return {
    ok: true,
    message: {
      messageId, from, to, originalSender, finalRecipient, documentType: action,
      conversationId: text(user, 'eb:CollaborationInfo/eb:ConversationId'),
      timestamp: Number.isNaN(timestamp.getTime()) ? new Date(0) : timestamp,
      process: { scheme: PROCESS_SCHEME, value: service.content.trim() },
    },
  }
}

/** Finds the EncryptedData for the attachment, its EncryptedKey (for this hub's certificate), and decrypts. */
function decryptAttachment(doc: XmlDocument, security: XmlElement, attachment: Part, cid: string, own: Signer): { ok: true; content: Buffer } | { ok: false; reason: string } {
  const data = elements(security, 'xenc:EncryptedData').find((d) => attr(element(d, 'xenc:CipherData/xenc:CipherReference'), 'URI') === cid)
  if (!data) return { ok: false, reason: `no xenc:EncryptedData for ${cid}: the payload must be encrypted` }
  if (attr(element(data, 'xenc:EncryptionMethod'), 'Algorithm') !== encAlg.aes128Gcm) return { ok: false, reason: `the payload must be encrypted with ${encAlg.aes128Gcm}` }
  const dataId = attr(data, 'Id')
  const key = elements(security, 'xenc:EncryptedKey').find((k) => elements(k, 'xenc:ReferenceList/xenc:DataReference').some((r) => attr(r, 'URI') === `#${dataId}`))
  if (!key) return { ok: false, reason: 'no xenc:EncryptedKey refers to the payload\'s EncryptedData' }
  const method = element(key, 'xenc:EncryptionMethod')
  if (attr(method, 'Algorithm') !== encAlg.rsaOaep || attr(element(method!, 'ds:DigestMethod'), 'Algorithm') !== encAlg.sha256 || attr(element(method!, 'xenc11:MGF'), 'Algorithm') !== encAlg.mgf1Sha256) {
    return { ok: false, reason: `the key must be wrapped with ${encAlg.rsaOaep} (SHA-256, MGF1 SHA-256)` }
  }
  const forCertificate = tokenCertificate(doc, element(key, 'ds:KeyInfo'))
  if (forCertificate && !forCertificate.equals(own.certificate)) return { ok: false, reason: 'the payload is encrypted for another certificate than this access point\'s' }
  const cek = unwrapKey(Buffer.from(text(key, 'xenc:CipherData/xenc:CipherValue').replace(/\s+/g, ''), 'base64'), own.key)
  if (!cek) return { ok: false, reason: 'the content key does not decrypt with this access point\'s key' }
  const content = decryptContent(attachment.body, cek)
  if (!content) return { ok: false, reason: 'the payload does not decrypt (changed in transit, or another key)' }
  return { ok: true, content }
}

// ---------------------------------------------------------------------------------------------------------------
// Answers: the receipt and the error signal

function signalEnvelope(signal: string, signer: Signer): string {
  const suffix = randomUUID()
  const ids = { messaging: `_messaging-${suffix}`, body: `_body-${suffix}`, token: `X509-${suffix}`, signature: `SIG-${suffix}` }
  const messaging = `<eb:Messaging xmlns:eb="${nsUri.eb}" S12:mustUnderstand="true" wsu:Id="${ids.messaging}">${signal}</eb:Messaging>`
  const token = `<wsse:BinarySecurityToken EncodingType="${peppol.base64Binary}" ValueType="${peppol.x509v3}" wsu:Id="${ids.token}">${signer.certificate.toString('base64')}</wsse:BinarySecurityToken>`
  const build = (security: string) => `<?xml version="1.0" encoding="UTF-8"?><S12:Envelope xmlns:S12="${nsUri.S12}" xmlns:wsu="${nsUri.wsu}"><S12:Header>${messaging}` +
    `<wsse:Security xmlns:wsse="${nsUri.wsse}" S12:mustUnderstand="true">${security}</wsse:Security></S12:Header><S12:Body wsu:Id="${ids.body}"/></S12:Envelope>`
  const refs = signParts(build(token), [ids.messaging, ids.body], null)
  return build(token + signatureXml(refs, signer, ids.token, ids.signature))
}

const messageInfo = (refTo: string | null) =>
  `<eb:MessageInfo><eb:Timestamp>${new Date().toISOString()}</eb:Timestamp><eb:MessageId>${randomUUID()}@facteur</eb:MessageId>${refTo ? `<eb:RefToMessageId>${escapeXml(refTo)}</eb:RefToMessageId>` : ''}</eb:MessageInfo>`

/** The signed receipt of a received user message, with its non-repudiation information (the signed references). */
export function receiptXml(received: Pick<Received, 'message' | 'references'>, signer: Signer): string {
  const nri = received.references.map((r) => `<ebbp:MessagePartNRInformation>${r}</ebbp:MessagePartNRInformation>`).join('')
  return signalEnvelope(`<eb:SignalMessage>${messageInfo(received.message.messageId)}<eb:Receipt>` +
    `<ebbp:NonRepudiationInformation xmlns:ebbp="${nsUri.ebbp}">${nri}</ebbp:NonRepudiationInformation></eb:Receipt></eb:SignalMessage>`, signer)
}

/** An ebMS error signal (severity failure), signed when a key is given. */
export function errorXml(error: EbmsError, signer: Signer): string {
  return signalEnvelope(`<eb:SignalMessage>${messageInfo(error.refToMessageId)}` +
    `<eb:Error category="Content" errorCode="${escapeXml(error.code)}" origin="ebMS" severity="failure" shortDescription="${escapeXml(error.shortDescription)}"${error.refToMessageId ? ` refToMessageInError="${escapeXml(error.refToMessageId)}"` : ''}>` +
    `<eb:Description xml:lang="en">${escapeXml(error.description ?? error.detail)}</eb:Description><eb:ErrorDetail>${escapeXml(error.detail)}</eb:ErrorDetail></eb:Error></eb:SignalMessage>`, signer)
}

export type Answer =
  | { kind: 'receipt'; messageId: string; refToMessageId: string }
  /** `signed`: the signal's signature verifies with the receiver's certificate (what makes it evidence). */
  | { kind: 'error'; errors: { code: string; shortDescription: string; detail: string }[]; refToMessageId: string | null; signed: boolean }
  | { kind: 'invalid'; reason: string }

/**
 * phase4 (4.4.1) answers a MessageId it has handled before with a signed EBMS:0004 saying so, not with its first
 * receipt. For the sender, such an answer to its own MessageId, signed by the receiver, means the receiver has
 * the message: an earlier attempt got through and only its receipt was lost.
 */
export function isDuplicateNotice(answer: Answer, messageId: string): boolean {
  return answer.kind === 'error' && answer.signed && answer.refToMessageId === messageId &&
    answer.errors.length > 0 && answer.errors.every((e) => e.code === ebmsErrors.other && /duplicate/i.test(`${e.shortDescription} ${e.detail}`))
}

/**
 * Corner 2 reads the answer to a user message it sent: a receipt must be signed by the receiver's certificate
 * (the one the SMP gave), refer to the sent MessageId, and repeat every reference the sender signed.
 */
export function readAnswer(xml: Buffer, sent: { messageId: string; references: { uri: string; digest: Buffer }[] }, receiverCertificate: Buffer): Answer {
  let doc: XmlDocument
  try { doc = XmlDocument.fromBuffer(xml) } catch (error) { return { kind: 'invalid', reason: `the answer is not well-formed XML: ${(error as Error).message.split('\n')[0]}` } }
  try {
    if (doc.dtd !== null) return { kind: 'invalid', reason: 'the answer has a DOCTYPE' }
    const signal = element(doc, '/S12:Envelope/S12:Header/eb:Messaging/eb:SignalMessage')
    if (!signal) return { kind: 'invalid', reason: 'the answer has no eb:SignalMessage' }
    const refTo = text(signal, 'eb:MessageInfo/eb:RefToMessageId') || null
    // The signal must be signed by the receiver's certificate, over its eb:Messaging: a receipt always, an error
    // to count as evidence (a duplicate's error is the receiver's word that it has the message).
    const signatureCheck = (): string | null => {
      const signature = element(doc, '/S12:Envelope/S12:Header/wsse:Security/ds:Signature')
      if (!signature) return 'it is not signed'
      const signer = tokenCertificate(doc, element(signature, 'ds:KeyInfo'))
      if (!signer || !signer.equals(receiverCertificate)) return 'it is not signed with the receiver\'s certificate'
      const messaging = element(doc, '/S12:Envelope/S12:Header/eb:Messaging')!
      const verified = verifySignature(signature, new X509Certificate(signer).publicKey, (uri, transforms) => dereferenceInDocument(doc, signature, uri, transforms),
        [`#${attr(messaging, 'Id', nsUri.wsu)}`])
      return verified.ok ? null : `its signature does not verify: ${verified.reason}`
    }
    const errors = elements(signal, 'eb:Error')
    if (errors.length > 0) {
      return {
        kind: 'error', refToMessageId: refTo, signed: signatureCheck() === null,
        errors: errors.map((e) => ({ code: attr(e, 'errorCode'), shortDescription: attr(e, 'shortDescription'), detail: [text(e, 'eb:Description'), text(e, 'eb:ErrorDetail')].filter((t, i, all) => t && all.indexOf(t) === i).join(' — ') })),
      }
    }
    if (!element(signal, 'eb:Receipt')) return { kind: 'invalid', reason: 'the signal is neither a receipt nor an error' }
    if (refTo !== sent.messageId) return { kind: 'invalid', reason: `the receipt refers to ${refTo ?? 'no message'}, not to ${sent.messageId}` }
    const unsigned = signatureCheck()
    if (unsigned) return { kind: 'invalid', reason: `the receipt cannot be trusted: ${unsigned}` }
    const repeated = elements(signal, 'eb:Receipt/ebbp:NonRepudiationInformation/ebbp:MessagePartNRInformation/ds:Reference')
      .map((r) => ({ uri: attr(r, 'URI'), digest: Buffer.from(text(r, 'ds:DigestValue'), 'base64') }))
    const missing = sent.references.filter((s) => !repeated.some((r) => r.uri === s.uri && r.digest.equals(s.digest)))
    if (missing.length) return { kind: 'invalid', reason: `the receipt does not repeat the signed reference(s) ${missing.map((m) => m.uri).join(', ')}` }
    return { kind: 'receipt', messageId: text(signal, 'eb:MessageInfo/eb:MessageId'), refToMessageId: refTo }
  } finally {
    doc.dispose()
  }
}
