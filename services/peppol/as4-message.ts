// Peppol AS4 profile 2.0 user messages (ebMS 3.0 + WS-Security 1.1.1 + SwA 1.1): what corner 2 sends. The SBDH is
// gzip-compressed, signed (eb:Messaging, the Body and the attachment, exclusive C14N, RSA-SHA256), then encrypted
// for the receiver (AES-128-GCM, key wrapped with RSA-OAEP), in a SOAP 1.2 multipart/related message. Both
// certificates travel as X509v3 BinarySecurityTokens.
import { X509Certificate, randomUUID, type KeyObject } from 'node:crypto'
import { XmlDocument } from 'libxml2-wasm'
import { DS, alg, canonicalSubtree, elementById, sha256, signatureValue, signedInfoXml, type Reference } from './xmldsig.js'
import { compress, encAlg, encryptContent, wrapKey } from './as4-crypto.js'
import { buildMultipart, type Multipart } from './mime.js'
import { PARTICIPANT_SCHEME, type PeppolId } from './identifiers.js'
import { escapeXml } from '../kit/safe-xml.js'

export const nsUri = {
  S12: 'http://www.w3.org/2003/05/soap-envelope',
  eb: 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsse11: 'http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xenc11: 'http://www.w3.org/2009/xmlenc11#',
  ds: DS,
  ebbp: 'http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0',
} as const

export const peppol = {
  agreement: 'urn:fdc:peppol.eu:2017:agreements:tia:ap_provider',
  partyIdType: 'urn:fdc:peppol.eu:2017:identifiers:ap',
  initiator: 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator',
  responder: 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder',
  x509v3: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3',
  base64Binary: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary',
  attachmentContentOnly: 'http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Only',
  attachmentCiphertext: 'http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Ciphertext-Transform',
} as const

export type UserMessage = {
  messageId: string
  conversationId: string
  timestamp: Date
  /** Seat ids (the CN of each AP certificate). */
  from: string
  to: string
  /** The process id (Service, type cenbii-procid-ubl) and the document type id (Action busdox-docid-qns::…). */
  process: PeppolId
  documentType: PeppolId
  originalSender: PeppolId
  finalRecipient: PeppolId
}

export type Signer = { key: KeyObject; certificate: Buffer }


export const newMessageId = () => `${randomUUID()}@facteur`

function messagingXml(m: UserMessage, id: string, attachmentCid: string): string {
  const property = (name: string, v: PeppolId) => `<eb:Property name="${name}" type="${escapeXml(v.scheme === PARTICIPANT_SCHEME ? 'iso6523-actorid-upis' : v.scheme)}">${escapeXml(v.value)}</eb:Property>`
  return `<eb:Messaging xmlns:eb="${nsUri.eb}" S12:mustUnderstand="true" wsu:Id="${id}"><eb:UserMessage>` +
    `<eb:MessageInfo><eb:Timestamp>${m.timestamp.toISOString()}</eb:Timestamp><eb:MessageId>${escapeXml(m.messageId)}</eb:MessageId></eb:MessageInfo>` +
    '<eb:PartyInfo>' +
    `<eb:From><eb:PartyId type="${peppol.partyIdType}">${escapeXml(m.from)}</eb:PartyId><eb:Role>${peppol.initiator}</eb:Role></eb:From>` +
    `<eb:To><eb:PartyId type="${peppol.partyIdType}">${escapeXml(m.to)}</eb:PartyId><eb:Role>${peppol.responder}</eb:Role></eb:To>` +
    '</eb:PartyInfo>' +
    `<eb:CollaborationInfo><eb:AgreementRef>${peppol.agreement}</eb:AgreementRef>` +
    `<eb:Service type="${escapeXml(m.process.scheme)}">${escapeXml(m.process.value)}</eb:Service>` +
    `<eb:Action>${escapeXml(`${m.documentType.scheme}::${m.documentType.value}`)}</eb:Action>` +
    `<eb:ConversationId>${escapeXml(m.conversationId)}</eb:ConversationId></eb:CollaborationInfo>` +
    `<eb:MessageProperties>${property('originalSender', m.originalSender)}${property('finalRecipient', m.finalRecipient)}</eb:MessageProperties>` +
    `<eb:PayloadInfo><eb:PartInfo href="cid:${escapeXml(attachmentCid)}"><eb:PartProperties>` +
    '<eb:Property name="MimeType">application/xml</eb:Property><eb:Property name="CompressionType">application/gzip</eb:Property>' +
    '</eb:PartProperties></eb:PartInfo></eb:PayloadInfo>' +
    '</eb:UserMessage></eb:Messaging>'
}

const bst = (id: string, der: Buffer) =>
  `<wsse:BinarySecurityToken EncodingType="${peppol.base64Binary}" ValueType="${peppol.x509v3}" wsu:Id="${id}">${der.toString('base64')}</wsse:BinarySecurityToken>`
const tokenReference = (tokenId: string) =>
  `<wsse:SecurityTokenReference><wsse:Reference URI="#${tokenId}" ValueType="${peppol.x509v3}"/></wsse:SecurityTokenReference>`

function envelope(messaging: string, security: string, bodyId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><S12:Envelope xmlns:S12="${nsUri.S12}" xmlns:wsu="${nsUri.wsu}"><S12:Header>${messaging}` +
    `<wsse:Security xmlns:wsse="${nsUri.wsse}" xmlns:wsse11="${nsUri.wsse11}" xmlns:ds="${DS}" xmlns:xenc="${nsUri.xenc}" xmlns:xenc11="${nsUri.xenc11}" S12:mustUnderstand="true">${security}</wsse:Security>` +
    `</S12:Header><S12:Body wsu:Id="${bodyId}"/></S12:Envelope>`
}

/** The parts of the envelope a signature covers, digested in the envelope as it will be sent. */
export function signParts(envelopeWithoutSignature: string, ids: string[], attachment: { cid: string; content: Buffer } | null): Reference[] {
  const doc = XmlDocument.fromString(envelopeWithoutSignature)
  try {
    const refs: Reference[] = ids.map((id) => {
      const el = elementById(doc, id)
      if (!el) throw new Error(`no unique element with id ${id} to sign`)
      return { uri: `#${id}`, transforms: [alg.excC14n], digest: sha256(canonicalSubtree(el)) }
    })
    if (attachment) refs.push({ uri: `cid:${attachment.cid}`, transforms: [alg.attachmentContent], digest: sha256(attachment.content) })
    return refs
  } finally {
    doc.dispose()
  }
}

export function signatureXml(refs: Reference[], signer: Signer, tokenId: string, signatureId: string): string {
  const signedInfo = signedInfoXml(refs)
  return `<ds:Signature xmlns:ds="${DS}" Id="${signatureId}">${signedInfo}<ds:SignatureValue>${signatureValue(signedInfo, signer.key)}</ds:SignatureValue>` +
    `<ds:KeyInfo>${tokenReference(tokenId)}</ds:KeyInfo></ds:Signature>`
}

export type BuiltMessage = Multipart & { references: Reference[]; envelope: string }

/**
 * The AS4 message for one SBDH: compressed, signed by `sender`, encrypted for `receiverCertificate` (DER).
 * `references` are what the receipt's non-repudiation information must repeat.
 */
export async function buildUserMessage(message: UserMessage, sbdh: Buffer, sender: Signer, receiverCertificate: Buffer): Promise<BuiltMessage> {
  const suffix = randomUUID()
  const ids = { messaging: `_messaging-${suffix}`, body: `_body-${suffix}`, signToken: `X509-sign-${suffix}`, encToken: `X509-enc-${suffix}`,
    signature: `SIG-${suffix}`, encryptedKey: `EK-${suffix}`, encryptedData: `ED-${suffix}` }
  const cid = `payload-${suffix}@facteur`
  const compressed = await compress(sbdh)
  const messaging = messagingXml(message, ids.messaging, cid)

  // Sign first (over the compressed attachment), then encrypt (the profile's order).
  const tokens = bst(ids.signToken, sender.certificate) + bst(ids.encToken, receiverCertificate)
  const refs = signParts(envelope(messaging, tokens, ids.body), [ids.messaging, ids.body], { cid, content: compressed })
  const signature = signatureXml(refs, sender, ids.signToken, ids.signature)

  const { key, encrypted } = encryptContent(compressed)
  const receiverKey = new X509Certificate(receiverCertificate).publicKey
  const encryptedKey = `<xenc:EncryptedKey Id="${ids.encryptedKey}"><xenc:EncryptionMethod Algorithm="${encAlg.rsaOaep}">` +
    `<ds:DigestMethod Algorithm="${encAlg.sha256}"/><xenc11:MGF Algorithm="${encAlg.mgf1Sha256}"/></xenc:EncryptionMethod>` +
    `<ds:KeyInfo>${tokenReference(ids.encToken)}</ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${wrapKey(key, receiverKey).toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    `<xenc:ReferenceList><xenc:DataReference URI="#${ids.encryptedData}"/></xenc:ReferenceList></xenc:EncryptedKey>`
  const encryptedData = `<xenc:EncryptedData Id="${ids.encryptedData}" MimeType="application/gzip" Type="${peppol.attachmentContentOnly}">` +
    `<xenc:EncryptionMethod Algorithm="${encAlg.aes128Gcm}"/>` +
    `<ds:KeyInfo><wsse:SecurityTokenReference wsse11:TokenType="http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey"><wsse:Reference URI="#${ids.encryptedKey}"/></wsse:SecurityTokenReference></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherReference URI="cid:${cid}"><xenc:Transforms><ds:Transform Algorithm="${peppol.attachmentCiphertext}"/></xenc:Transforms></xenc:CipherReference></xenc:CipherData>` +
    '</xenc:EncryptedData>'

  const soap = envelope(messaging, tokens + encryptedKey + encryptedData + signature, ids.body)
  const multipart = buildMultipart([
    { headers: { 'Content-Type': 'application/soap+xml; charset=UTF-8', 'Content-Transfer-Encoding': 'binary', 'Content-ID': `<root-${suffix}@facteur>` }, body: Buffer.from(soap, 'utf8') },
    { headers: { 'Content-Type': 'application/octet-stream', 'Content-Transfer-Encoding': 'binary', 'Content-ID': `<${cid}>` }, body: encrypted },
  ])
  return { ...multipart, references: refs, envelope: soap }
}
