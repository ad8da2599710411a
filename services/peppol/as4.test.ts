import { beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { createDevPki, checkChain, type DevPki } from './pki.js'
import { buildUserMessage, newMessageId, type UserMessage } from './as4-message.js'
import { errorXml, isDuplicateNotice, readAnswer, readUserMessage, receiptXml, ebmsErrors, type EbmsError, type ReceiveOptions } from './as4-inbound.js'
import { parseMultipart, buildMultipart } from './mime.js'
import { wrap } from './sbdh.js'
import { documentTypeId, parseParticipant, processId, type PeppolId } from './identifiers.js'
import { encryptContent } from './as4-crypto.js'

const pid = (text: string): PeppolId => { const p = parseParticipant(text); if (!p.ok) throw new Error(p.reason); return p.id }
const documentType = documentTypeId('ubl-invoice', 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0')
const process = processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0')
const sender = pid('0009:73282932000074')
const receiver = pid('0009:11000201100044')
const invoice = readFileSync(new URL('../../test/fixtures/ubl-invoice.xml', import.meta.url))

let pki: DevPki
let stranger: DevPki
beforeAll(async () => { [pki, stranger] = await Promise.all([createDevPki(), createDevPki()]) }, 60_000)

const message = (over: Partial<UserMessage> = {}): UserMessage => ({
  messageId: newMessageId(), conversationId: 'conv-1', timestamp: new Date(), from: pki.ap.name, to: pki.peer.name,
  process, documentType, originalSender: sender, finalRecipient: receiver, ...over,
})
const sbdh = () => Buffer.from(wrap({ sender, receiver, documentType, process, countryC1: 'FR', instanceId: 'i-1', createdAt: new Date('2026-11-29T10:00:00Z') }, invoice))
const receiving = (over: Partial<ReceiveOptions> = {}): ReceiveOptions => ({
  own: { key: pki.peer.privateKey, certificate: pki.peer.certificate.der, seatId: pki.peer.name },
  trust: (der) => { const c = checkChain(der, [pki.apCa.certificate], new Date(), { usage: 'ap' }); return c.ok ? { ok: true } : { ok: false, reason: c.message } },
  maxPayloadBytes: 10 * 1024 * 1024, ...over,
})
const signerOf = (e: DevPki['ap']) => ({ key: e.privateKey, certificate: e.certificate.der })

describe('AS4 between two Facteur access points', () => {
  it('a user message arrives whole; its receipt is signed and repeats what was signed', async () => {
    const m = message()
    const sent = await buildUserMessage(m, sbdh(), signerOf(pki.ap), pki.peer.certificate.der)
    expect(sent.contentType).toMatch(/^multipart\/related; boundary="[^"]+"; type="application\/soap\+xml"; start="<root-/)
    const received = await readUserMessage(sent.contentType, sent.body, receiving())
    expect(received).toMatchObject({ ok: true, message: { messageId: m.messageId, from: pki.ap.name, to: pki.peer.name, documentType, process, originalSender: sender, finalRecipient: receiver } })
    if (!received.ok) return
    expect(received.sbdh.equals(sbdh())).toBe(true)
    expect(received.senderCertificate.equals(pki.ap.certificate.der)).toBe(true)
    expect(received.references).toHaveLength(3)

    const receipt = receiptXml(received, signerOf(pki.peer))
    expect(readAnswer(Buffer.from(receipt), { messageId: m.messageId, references: sent.references }, pki.peer.certificate.der)).toMatchObject({ kind: 'receipt', refToMessageId: m.messageId })
    // A receipt signed by someone else, for another message, or without the attachment's reference is not one.
    expect(readAnswer(Buffer.from(receiptXml(received, signerOf(pki.ap))), { messageId: m.messageId, references: sent.references }, pki.peer.certificate.der)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('receiver\'s certificate') })
    expect(readAnswer(Buffer.from(receipt), { messageId: 'other@x', references: sent.references }, pki.peer.certificate.der)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('refers to') })
    const partial = receiptXml({ ...received, references: received.references.slice(0, 2) }, signerOf(pki.peer))
    expect(readAnswer(Buffer.from(partial), { messageId: m.messageId, references: sent.references }, pki.peer.certificate.der)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('cid:') })
    expect(readAnswer(Buffer.from(receipt.replace(m.messageId, 'x')), { messageId: 'x', references: sent.references }, pki.peer.certificate.der)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('does not verify') })
  })

  it('answers each broken message with the right ebMS error', async () => {
    const m = message()
    const sent = await buildUserMessage(m, sbdh(), signerOf(pki.ap), pki.peer.certificate.der)
    const parts = parseMultipart(sent.contentType, sent.body)
    if (!parts.ok) throw new Error(parts.reason)
    const rebuild = (soap: string, attachment = parts.attachments[0]!.body) => buildMultipart([
      { headers: { 'Content-Type': 'application/soap+xml', 'Content-ID': parts.root.headers['content-id']! }, body: Buffer.from(soap) },
      { headers: { 'Content-Type': 'application/octet-stream', 'Content-ID': parts.attachments[0]!.headers['content-id']! }, body: attachment },
    ])
    const soap = parts.root.body.toString()
    const expectError = async (mp: { contentType: string; body: Buffer }, code: string, detail: string, options = receiving()) => {
      const r = await readUserMessage(mp.contentType, mp.body, options)
      expect(r).toMatchObject({ ok: false, error: { code, detail: expect.stringContaining(detail) } })
    }
    const flipped = Buffer.from(parts.attachments[0]!.body); flipped[40]! ^= 1
    await expectError(rebuild(soap, flipped), ebmsErrors.failedDecryption, 'does not decrypt')
    await expectError(rebuild(soap.replace('<eb:ConversationId>conv-1', '<eb:ConversationId>conv-2')), ebmsErrors.failedAuthentication, 'digest mismatch')
    await expectError(rebuild(soap.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')), ebmsErrors.policyNoncompliance, 'not signed')
    await expectError(rebuild(soap.replace(/<eb:Property name="finalRecipient"[^<]*<\/eb:Property>/, '')), ebmsErrors.invalidHeader, 'finalRecipient')
    await expectError({ contentType: 'application/soap+xml', body: Buffer.from(soap) }, ebmsErrors.invalidHeader, 'not multipart/related')
    // Sent by an access point of another PKI; encrypted for another access point; addressed to another seat.
    const foreign = await buildUserMessage(message({ from: stranger.ap.name }), sbdh(), signerOf(stranger.ap), pki.peer.certificate.der)
    await expectError(foreign, ebmsErrors.failedAuthentication, 'not trusted')
    const forOther = await buildUserMessage(m, sbdh(), signerOf(pki.ap), stranger.peer.certificate.der)
    await expectError(forOther, ebmsErrors.failedDecryption, 'another certificate')
    await expectError(sent, ebmsErrors.valueInconsistent, 'not to this access point', receiving({ own: { ...receiving().own, seatId: 'POP999999' } }))
    // A payload that decompresses beyond the limit stops there (a decompression bomb).
    const bomb = await buildUserMessage(m, Buffer.alloc(5 * 1024 * 1024, 0x20), signerOf(pki.ap), pki.peer.certificate.der)
    await expectError(bomb, ebmsErrors.decompressionFailure, 'more than', receiving({ maxPayloadBytes: 1024 * 1024 }))
    expect(gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20)).length).toBeLessThan(10_000)
  })

  it('an error signal is signed and names its code; the sender reads it', async () => {
    const xml = errorXml({ code: ebmsErrors.failedDecryption, shortDescription: 'FailedDecryption', detail: 'no key', refToMessageId: 'm-1@x' }, signerOf(pki.peer))
    expect(readAnswer(Buffer.from(xml), { messageId: 'm-1@x', references: [] }, pki.peer.certificate.der)).toEqual({
      kind: 'error', refToMessageId: 'm-1@x', signed: true, errors: [{ code: 'EBMS:0102', shortDescription: 'FailedDecryption', detail: 'no key' }],
    })
    // Signed by someone else than the receiver: still read, but not evidence of anything.
    expect(readAnswer(Buffer.from(xml), { messageId: 'm-1@x', references: [] }, pki.ap.certificate.der)).toMatchObject({ kind: 'error', signed: false })
  })

  it('a signed duplicate notice for the sender\'s own MessageId means the receiver has the message (phase4 answers duplicates so)', () => {
    const notice = (over: Partial<EbmsError> = {}) => Buffer.from(errorXml({ code: 'EBMS:0004', shortDescription: 'Other', detail: "Not invoking SPIs, because message with Message ID 'm-1@x' was already handled (this is a duplicate)", refToMessageId: 'm-1@x', ...over }, signerOf(pki.peer)))
    const read = (xml: Buffer, cert = pki.peer.certificate.der) => readAnswer(xml, { messageId: 'm-1@x', references: [] }, cert)
    expect(isDuplicateNotice(read(notice()), 'm-1@x')).toBe(true)
    expect(isDuplicateNotice(read(notice()), 'm-2@x')).toBe(false)
    expect(isDuplicateNotice(read(notice(), pki.ap.certificate.der), 'm-1@x')).toBe(false)
    expect(isDuplicateNotice(read(notice({ detail: 'the database is down' })), 'm-1@x')).toBe(false)
    expect(isDuplicateNotice(read(notice({ code: 'EBMS:0101' })), 'm-1@x')).toBe(false)
  })

  it('AES-128-GCM content is IV + ciphertext + tag', () => {
    const { key, encrypted } = encryptContent(Buffer.from('hello'))
    expect(key).toHaveLength(16)
    expect(encrypted).toHaveLength(12 + 5 + 16)
  })
})
