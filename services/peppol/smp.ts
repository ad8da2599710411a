// Peppol SMP 1.x (the busdox ServiceMetadata): the URL of one participant's metadata for one document type,
// the signed answer built by the hub's own static SMP, and read back — signature and signer checked — by the
// sender. The answer says where (an AS4 endpoint URL) and to whom (the receiving AP's certificate) to send.
import { X509Certificate, type KeyObject } from 'node:crypto'
import { XmlDocument, XmlElement } from 'libxml2-wasm'
import { DS, alg, canonicalDocument, dereferenceInDocument, sha256, signatureValue, signedInfoXml, verifySignature } from './xmldsig.js'
import { DOCTYPE_SCHEME, PARTICIPANT_SCHEME, PROCESS_SCHEME, formatId, type PeppolId } from './identifiers.js'
import { escapeXml } from '../kit/safe-xml.js'

export const SMP_NS = 'http://busdox.org/serviceMetadata/publishing/1.0/'
export const ID_NS = 'http://busdox.org/transport/identifiers/1.0/'
export const WSA_NS = 'http://www.w3.org/2005/08/addressing'
export const AS4_TRANSPORT = 'peppol-transport-as4-v2_0'
const ns = { smp: SMP_NS, id: ID_NS, wsa: WSA_NS, ds: DS }

/** `{smp}/iso6523-actorid-upis%3A%3A0088%3A…/services/busdox-docid-qns%3A%3A…` (each id percent-encoded whole). */
export function serviceMetadataUrl(smpBase: string, participant: PeppolId, documentType: PeppolId): string {
  return `${smpBase.replace(/\/+$/, '')}/${encodeURIComponent(formatId(participant))}/services/${encodeURIComponent(formatId(documentType))}`
}

export type Endpoint = {
  transportProfile: string
  address: string
  /** The receiving AP's certificate, DER. */
  certificate: Buffer
  activation?: Date | null
  expiration?: Date | null
  description: string
  technicalContact: string
}
export type ServiceMetadata = { participant: PeppolId; documentType: PeppolId; processes: { process: PeppolId; endpoints: Endpoint[] }[] }

const idXml = (element: string, id: PeppolId) => `<id:${element} scheme="${escapeXml(id.scheme)}">${escapeXml(id.value)}</id:${element}>`

function endpointXml(e: Endpoint): string {
  // Element order of the SMP 1.x EndpointType (ServiceMetadataPublishing 1.0 XSD).
  return `<smp:Endpoint transportProfile="${escapeXml(e.transportProfile)}">` +
    `<wsa:EndpointReference><wsa:Address>${escapeXml(e.address)}</wsa:Address></wsa:EndpointReference>` +
    '<smp:RequireBusinessLevelSignature>false</smp:RequireBusinessLevelSignature>' +
    (e.activation ? `<smp:ServiceActivationDate>${e.activation.toISOString()}</smp:ServiceActivationDate>` : '') +
    (e.expiration ? `<smp:ServiceExpirationDate>${e.expiration.toISOString()}</smp:ServiceExpirationDate>` : '') +
    `<smp:Certificate>${e.certificate.toString('base64')}</smp:Certificate>` +
    `<smp:ServiceDescription>${escapeXml(e.description)}</smp:ServiceDescription>` +
    `<smp:TechnicalContactUrl>${escapeXml(e.technicalContact)}</smp:TechnicalContactUrl>` +
    '</smp:Endpoint>'
}

/** The SignedServiceMetadata for `metadata`, signed by the SMP's key (enveloped signature, its certificate in KeyInfo). */
export function signedServiceMetadataXml(metadata: ServiceMetadata, signer: { key: KeyObject; certificate: Buffer }): string {
  const body = '<smp:ServiceMetadata><smp:ServiceInformation>' +
    idXml('ParticipantIdentifier', metadata.participant) + idXml('DocumentIdentifier', metadata.documentType) +
    '<smp:ProcessList>' + metadata.processes.map((p) =>
      `<smp:Process>${idXml('ProcessIdentifier', p.process)}<smp:ServiceEndpointList>${p.endpoints.map(endpointXml).join('')}</smp:ServiceEndpointList></smp:Process>`).join('') +
    '</smp:ProcessList></smp:ServiceInformation></smp:ServiceMetadata>'
  const open = `<smp:SignedServiceMetadata xmlns:smp="${SMP_NS}" xmlns:id="${ID_NS}" xmlns:wsa="${WSA_NS}">`
  const unsigned = `${open}${body}</smp:SignedServiceMetadata>`
  // The digest is over the document without its signature: compute it on the unsigned form (the same bytes).
  const doc = XmlDocument.fromString(unsigned)
  let digest: Buffer
  try {
    digest = sha256(canonicalDocument(doc))
  } finally {
    doc.dispose()
  }
  const signedInfo = signedInfoXml([{ uri: '', transforms: [alg.enveloped, alg.excC14n], digest }], { prefix: 'ds' })
  const signature = `<ds:Signature xmlns:ds="${DS}">${signedInfo}<ds:SignatureValue>${signatureValue(signedInfo, signer.key)}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${signer.certificate.toString('base64')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>`
  return `${open}${body}${signature}</smp:SignedServiceMetadata>`
}

export type TrustCheck = (certificate: Buffer) => { ok: true } | { ok: false; reason: string }

export type SmpAnswer =
  | { ok: true; metadata: ServiceMetadata; signer: Buffer }
  | { ok: false; reason: string }

const textOf = (el: unknown) => (el instanceof XmlElement ? el.content.trim() : '')
const attrOf = (el: XmlElement, name: string) => el.attrs.find((a) => a.name === name && !a.namespaceUri)?.value ?? ''
const idOf = (el: unknown): PeppolId | null => (el instanceof XmlElement ? { scheme: attrOf(el, 'scheme'), value: el.content.trim() } : null)
const dateOf = (el: unknown) => { const t = textOf(el); if (!t) return null; const d = new Date(t); return Number.isNaN(d.getTime()) ? null : d }

/**
 * Reads a SignedServiceMetadata: exactly one signature, over the whole document (enveloped), verifying with
 * the certificate in its KeyInfo, that certificate accepted by `trust` (the SMP CA). Anything else — no
 * signature, a changed byte, an untrusted signer, a redirect — is refused with its reason.
 */
export function readSignedServiceMetadata(xml: string | Buffer, trust: TrustCheck): SmpAnswer {
  let doc: XmlDocument
  try {
    doc = typeof xml === 'string' ? XmlDocument.fromString(xml) : XmlDocument.fromBuffer(xml)
  } catch (error) {
    return { ok: false, reason: `the SMP answer is not well-formed XML: ${(error as Error).message.split('\n')[0]}` }
  }
  try {
    if (doc.dtd !== null) return { ok: false, reason: 'the SMP answer has a DOCTYPE' }
    const root = doc.root
    if (root.name !== 'SignedServiceMetadata' || root.namespaceUri !== SMP_NS) return { ok: false, reason: `the SMP answer is a ${root.name}, not a SignedServiceMetadata` }
    const signatures = doc.find('//ds:Signature', ns).filter((n): n is XmlElement => n instanceof XmlElement)
    if (signatures.length !== 1) return { ok: false, reason: signatures.length ? 'the SMP answer has more than one signature' : 'the SMP answer is not signed' }
    const signature = signatures[0]!
    if (signature.parent === null || !(signature.parent.name === root.name && signature.parent.namespaceUri === SMP_NS && !signature.parent.parent)) {
      return { ok: false, reason: 'the SMP signature is not a child of SignedServiceMetadata' }
    }
    const certText = textOf(signature.get('ds:KeyInfo/ds:X509Data/ds:X509Certificate', ns)).replace(/\s+/g, '')
    if (!certText) return { ok: false, reason: 'the SMP signature carries no certificate' }
    let signer: X509Certificate
    try { signer = new X509Certificate(Buffer.from(certText, 'base64')) } catch { return { ok: false, reason: 'the SMP signature\'s certificate cannot be read' } }
    const trusted = trust(signer.raw)
    if (!trusted.ok) return { ok: false, reason: `the SMP's signing certificate (${signer.subject.replace(/\n/g, ', ')}) is not trusted: ${trusted.reason}` }
    const verified = verifySignature(signature, signer.publicKey, (uri, transforms) => dereferenceInDocument(doc, signature, uri, transforms), [''])
    if (!verified.ok) return { ok: false, reason: `the SMP signature does not verify: ${verified.reason}` }
    if (doc.get('/smp:SignedServiceMetadata/smp:ServiceMetadata/smp:Redirect', ns)) return { ok: false, reason: 'the SMP answers with a redirect, which this hub does not follow' }
    const info = doc.get('/smp:SignedServiceMetadata/smp:ServiceMetadata/smp:ServiceInformation', ns)
    if (!(info instanceof XmlElement)) return { ok: false, reason: 'the SMP answer has no ServiceInformation' }
    const participant = idOf(info.get('id:ParticipantIdentifier', ns))
    const documentType = idOf(info.get('id:DocumentIdentifier', ns))
    if (!participant || !documentType) return { ok: false, reason: 'the SMP answer lacks the participant or document identifier' }
    const processes = info.find('smp:ProcessList/smp:Process', ns).filter((p): p is XmlElement => p instanceof XmlElement).map((p) => ({
      process: idOf(p.get('id:ProcessIdentifier', ns)) ?? { scheme: '', value: '' },
      endpoints: p.find('smp:ServiceEndpointList/smp:Endpoint', ns).filter((e): e is XmlElement => e instanceof XmlElement).map((e) => ({
        transportProfile: attrOf(e, 'transportProfile'),
        address: textOf(e.get('wsa:EndpointReference/wsa:Address', ns)),
        certificate: Buffer.from(textOf(e.get('smp:Certificate', ns)).replace(/\s+/g, ''), 'base64'),
        activation: dateOf(e.get('smp:ServiceActivationDate', ns)),
        expiration: dateOf(e.get('smp:ServiceExpirationDate', ns)),
        description: textOf(e.get('smp:ServiceDescription', ns)),
        technicalContact: textOf(e.get('smp:TechnicalContactUrl', ns)),
      })),
    }))
    return { ok: true, metadata: { participant, documentType, processes }, signer: signer.raw }
  } finally {
    doc.dispose()
  }
}

export type EndpointChoice = { ok: true; endpoint: Endpoint } | { ok: false; reason: string }

/** The AS4 endpoint for a process, active at `at` (the metadata must be for the asked participant and document type). */
export function chooseEndpoint(metadata: ServiceMetadata, asked: { participant: PeppolId; documentType: PeppolId; process: PeppolId }, at = new Date()): EndpointChoice {
  if (metadata.participant.scheme !== PARTICIPANT_SCHEME || metadata.participant.value.toLowerCase() !== asked.participant.value.toLowerCase()) {
    return { ok: false, reason: `the SMP answered for ${formatId(metadata.participant)}, not ${formatId(asked.participant)}` }
  }
  if (metadata.documentType.scheme !== DOCTYPE_SCHEME || metadata.documentType.value !== asked.documentType.value) {
    return { ok: false, reason: `the SMP answered for document type ${formatId(metadata.documentType)}, not ${formatId(asked.documentType)}` }
  }
  const process = metadata.processes.find((p) => p.process.scheme === PROCESS_SCHEME && p.process.value === asked.process.value)
  if (!process) return { ok: false, reason: `${formatId(asked.participant)} does not receive ${asked.documentType.value} in process ${asked.process.value}` }
  const as4 = process.endpoints.filter((e) => e.transportProfile === AS4_TRANSPORT)
  if (as4.length === 0) return { ok: false, reason: `${formatId(asked.participant)} has no ${AS4_TRANSPORT} endpoint for this document type` }
  const active = as4.find((e) => (!e.activation || e.activation <= at) && (!e.expiration || e.expiration > at))
  if (!active) return { ok: false, reason: `${formatId(asked.participant)}'s ${AS4_TRANSPORT} endpoint is not active at ${at.toISOString()}` }
  return { ok: true, endpoint: active }
}
