// The phase4 peer itself, phase4 to phase4 on loopback with the project's dev PKI: before Facteur's AS4 is tested
// against it, the peer must be shown to speak Peppol AS4 with the reference implementation on both ends, to keep
// the raw messages, and to refuse what a Peppol access point refuses. One receiver serves the whole file; each
// send starts a JVM (about 5 s of CPU), so the file sends twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { XmlAttribute, XmlDocument, XmlElement } from 'libxml2-wasm'
import { XmlC14NMode } from 'libxml2-wasm/lib/c14n.mjs'
import { createDevPki, writeDevPki, type WrittenPki } from '../services/peppol/pki.js'
import { wrap } from '../services/peppol/sbdh.js'
import { PARTICIPANT_SCHEME, documentTypeId, formatId, processId } from '../services/peppol/identifiers.js'
import { devPkiIdentity, ensurePhase4, phase4Available, phase4Send, startPhase4Receiver, type Phase4Receiver } from './phase4.js'

const available = phase4Available()
if (!available.ok) console.warn(`phase4 peer tests skipped: ${available.reason}`)

const documentType = documentTypeId('ubl-invoice', 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0')
const billing = processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0')
const sender = { scheme: PARTICIPANT_SCHEME, value: '0009:73282932000074' }
const receiverId = { scheme: PARTICIPANT_SCHEME, value: '0009:11000201100044' }

const ns = {
  S12: 'http://www.w3.org/2003/05/soap-envelope',
  eb: 'http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/',
  ebbp: 'http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
}

/** Element contents or attribute values selected by an XPath over one XML document. */
function select(xml: Buffer | string, xpath: string): string[] {
  const doc = typeof xml === 'string' ? XmlDocument.fromString(xml) : XmlDocument.fromBuffer(xml)
  try {
    return doc.find(xpath, ns).map((n) => (n instanceof XmlAttribute ? n.value : n instanceof XmlElement ? n.content : String(n)))
  } finally {
    doc.dispose()
  }
}

function canonical(xml: Buffer | string): string {
  const doc = typeof xml === 'string' ? XmlDocument.fromString(xml) : XmlDocument.fromBuffer(xml)
  try { return doc.canonicalizeToString({ mode: XmlC14NMode.XML_C14N_1_0, withComments: true }) } finally { doc.dispose() }
}

const header = (headers: Record<string, string[]>, name: string) =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1]?.[0]

/** The parts of a multipart body (enough for phase4's two-part messages: headers and bytes of each part). */
function multipart(body: Buffer, contentType: string): { headers: Record<string, string>; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1]
  if (!boundary) throw new Error(`no boundary in ${contentType}`)
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  const text = Buffer.concat([Buffer.from('\r\n'), body]) // the first delimiter may open the body
  const parts: { headers: Record<string, string>; body: Buffer }[] = []
  let at = text.indexOf(delimiter)
  while (at >= 0) {
    const start = at + delimiter.length
    if (text.subarray(start, start + 2).toString() === '--') break // closing delimiter
    const next = text.indexOf(delimiter, start)
    const part = text.subarray(text.indexOf('\r\n', start) + 2, next < 0 ? text.length : next)
    const split = part.indexOf('\r\n\r\n')
    const headers = Object.fromEntries(part.subarray(0, split).toString('latin1').split('\r\n').map((l) => {
      const colon = l.indexOf(':')
      return [l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim()]
    }))
    parts.push({ headers, body: part.subarray(split + 4) })
    at = next
  }
  return parts
}

describe.skipIf(!available.ok)('phase4 peer: phase4 to phase4 on loopback with the dev PKI', () => {
  let dir: string
  let pki: WrittenPki
  let foreign: WrittenPki
  let receiver: Phase4Receiver
  let sbdh: string
  let passed = 0

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'facteur-phase4-peer-'))
    // The first run resolves phase4 with Maven and compiles the peer while the two PKIs are made.
    const [ours, theirs] = await Promise.all([createDevPki(), createDevPki(), ensurePhase4()])
    pki = writeDevPki(ours, join(dir, 'pki'))
    foreign = writeDevPki(theirs, join(dir, 'foreign-pki'))
    receiver = await startPhase4Receiver({ ...devPkiIdentity(pki, 'POP000002'), seat: 'POP000002', dir: join(dir, 'receiver') })
    sbdh = wrap({
      sender, receiver: receiverId, documentType, process: billing, countryC1: 'FR', instanceId: randomUUID(), createdAt: new Date(),
    }, readFileSync(new URL('./fixtures/ubl-invoice.xml', import.meta.url)))
  }, 900_000)

  afterAll(async () => {
    await receiver?.stop()
    // A failure keeps the folder: the raw messages and the peers' logs are the evidence (the messages name them).
    if (passed === 2) rmSync(dir, { recursive: true, force: true })
    else if (dir) console.warn(`phase4 peer test files kept in ${dir}`)
  })

  it('delivers a Peppol message: signed receipt, the SBDH intact, and raw messages shaped like Peppol AS4', async () => {
    const before = receiver.exchanges().length
    const sent = await phase4Send({
      ...devPkiIdentity(pki, 'POP000001'), url: receiver.url, receiverCert: pki.entries.POP000002!.cert, sbdh, senderSeat: 'POP000001',
      dir: join(dir, 'send-ok'),
    })
    const { outcome } = sent
    expect(outcome.error, `sender log: ${sent.log}, receiver log: ${receiver.log}`).toBeNull()
    expect(sent.ok).toBe(true)
    expect(outcome).toMatchObject({ success: true, result: 'success', nonRepudiation: 'valid', signalSignerCheck: 'valid' })
    expect(outcome.signalSignedBy).toContain('CN=POP000002')
    expect(outcome.messageId).toMatch(/^[0-9a-f-]{36}@phase4$/)
    expect(outcome.receipt).toMatchObject({ isReceipt: true, refToMessageId: outcome.messageId })

    // The receiver's side: one exchange, accepted, the SBDH as sent, the ebMS values of the Peppol profile.
    const exchanges = receiver.exchanges().slice(before)
    expect(exchanges).toHaveLength(1)
    const exchange = exchanges[0]!
    expect(exchange).toMatchObject({ status: 200, messageId: outcome.messageId, accepted: true, refusal: null })
    const files = receiver.read(exchange)
    expect(canonical(files.payload!)).toBe(canonical(sbdh))
    expect(files.ebms).toMatchObject({
      messageId: outcome.messageId,
      fromPartyId: 'POP000001', fromPartyIdType: 'urn:fdc:peppol.eu:2017:identifiers:ap',
      toPartyId: 'POP000002', toPartyIdType: 'urn:fdc:peppol.eu:2017:identifiers:ap',
      agreementRef: 'urn:fdc:peppol.eu:2017:agreements:tia:ap_provider',
      service: billing.value, serviceType: 'cenbii-procid-ubl', action: formatId(documentType),
      originalSender: formatId(sender), finalRecipient: formatId(receiverId),
      signingCertificateCheck: 'valid',
    })
    expect(typeof files.ebms!.conversationId).toBe('string')

    // The raw request: what the sender says it sent is what the receiver got, and it looks like Peppol AS4.
    expect(readFileSync(join(sent.dir, 'request.body')).equals(files.request.body)).toBe(true)
    const contentType = header(files.request.headers, 'Content-Type')!
    expect(contentType).toMatch(/^multipart\/related;/)
    expect(contentType).toContain('type="application/soap+xml"')
    const [root, attachment, ...rest] = multipart(files.request.body, contentType)
    expect(rest).toHaveLength(0)
    expect(root!.headers['content-type']).toMatch(/^application\/soap\+xml/)
    expect(attachment!.headers['content-type']).toBe('application/octet-stream')
    const cid = attachment!.headers['content-id']!.replace(/^<|>$/g, '')
    const envelope = root!.body
    const messaging = '/S12:Envelope/S12:Header/eb:Messaging/eb:UserMessage'
    expect(select(envelope, `${messaging}/eb:MessageInfo/eb:MessageId`)).toEqual([outcome.messageId])
    expect(select(envelope, `${messaging}/eb:CollaborationInfo/eb:Action`)).toEqual([formatId(documentType)])
    expect(select(envelope, `${messaging}/eb:CollaborationInfo/eb:Service`)).toEqual([billing.value])
    expect(select(envelope, `${messaging}/eb:CollaborationInfo/eb:Service/@type`)).toEqual(['cenbii-procid-ubl'])
    expect(select(envelope, `${messaging}/eb:PayloadInfo/eb:PartInfo/@href`)).toEqual([`cid:${cid}`])
    const security = '/S12:Envelope/S12:Header/wsse:Security'
    expect(select(envelope, `${security}/wsse:BinarySecurityToken`)).toHaveLength(2) // the sender's and the receiver's certificates
    expect(select(envelope, `${security}/ds:Signature/ds:SignedInfo/ds:SignatureMethod/@Algorithm`)).toEqual(['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'])
    const references = select(envelope, `${security}/ds:Signature/ds:SignedInfo/ds:Reference/@URI`)
    expect(references).toHaveLength(3) // eb:Messaging, the Body and the attachment
    expect(references).toContain(`cid:${cid}`)
    expect(select(envelope, `${security}/xenc:EncryptedKey/xenc:EncryptionMethod/@Algorithm`)).toEqual(['http://www.w3.org/2009/xmlenc11#rsa-oaep'])
    expect(select(envelope, `${security}/xenc:EncryptedData/xenc:EncryptionMethod/@Algorithm`)).toEqual(['http://www.w3.org/2009/xmlenc11#aes128-gcm'])
    expect(select(envelope, `${security}/xenc:EncryptedData/xenc:CipherData/xenc:CipherReference/@URI`)).toEqual([`cid:${cid}`])
    // Encrypted on the wire: the attachment is neither the SBDH nor its gzip.
    expect(attachment!.body.includes(Buffer.from('StandardBusinessDocument'))).toBe(false)
    expect(attachment!.body.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))).toBe(false)

    // The raw response: a signed receipt for that message, repeating the three references it signed.
    expect(files.response.status).toBe(200)
    expect(header(files.response.headers, 'Content-Type')).toMatch(/^application\/soap\+xml/)
    expect(readFileSync(join(sent.dir, 'response.body')).equals(files.response.body)).toBe(true)
    const signal = '/S12:Envelope/S12:Header/eb:Messaging/eb:SignalMessage'
    expect(select(files.response.body, `${signal}/eb:MessageInfo/eb:RefToMessageId`)).toEqual([outcome.messageId])
    expect(select(files.response.body, `${signal}/eb:MessageInfo/eb:MessageId`)).toEqual([outcome.receipt!.messageId])
    expect(select(files.response.body, `${signal}/eb:Receipt/ebbp:NonRepudiationInformation/ebbp:MessagePartNRInformation/ds:Reference/@URI`).sort())
      .toEqual([...references].sort())
    expect(select(files.response.body, `${security}/ds:Signature/ds:SignedInfo/ds:Reference`)).toHaveLength(2)
    passed++
  })

  it('refuses a sender whose certificate comes from another CA, with a signed ebMS error', async () => {
    const before = receiver.exchanges().length
    // A POP000001 of another dev PKI (same names, other keys), trusting our PKI to read the answer.
    const sent = await phase4Send({
      ...devPkiIdentity(foreign, 'POP000001'), trust: pki.apCa, trustRoot: pki.rootCa,
      url: receiver.url, receiverCert: pki.entries.POP000002!.cert, sbdh, senderSeat: 'POP000001', dir: join(dir, 'send-foreign'),
    })
    expect(sent.ok).toBe(false)
    expect(sent.outcome).toMatchObject({ success: false, result: 'as4-error-msg-received', signalSignerCheck: 'valid' })
    expect(sent.outcome.receipt).toMatchObject({ isReceipt: false, refToMessageId: sent.outcome.messageId })
    expect(sent.outcome.errors.map((e) => e.errorCode)).toEqual(['EBMS:0102'])
    expect(sent.outcome.error).toMatch(/EBMS:0102.*certificate path validation/)

    const exchanges = receiver.exchanges().slice(before)
    expect(exchanges).toHaveLength(1)
    // Refused by WSS4J's chain validation, before the Peppol checks: no user message was processed.
    expect(exchanges[0]).toMatchObject({ status: 200, accepted: null })
    const files = receiver.read(exchanges[0]!)
    expect(files.payload).toBeNull()
    const error = '/S12:Envelope/S12:Header/eb:Messaging/eb:SignalMessage/eb:Error'
    expect(select(files.response.body, `${error}/@errorCode`)).toEqual(['EBMS:0102'])
    expect(select(files.response.body, `${error}/@severity`)).toEqual(['failure'])
    expect(select(files.response.body, '/S12:Envelope/S12:Header/eb:Messaging/eb:SignalMessage/eb:MessageInfo/eb:RefToMessageId')).toEqual([sent.outcome.messageId])
    passed++
  })
})
