// Facteur's AS4 code on messages captured from phase4 4.4.1, the reference implementation (testdata/phase4, written by
// test/interop/capture-phase4.ts with a throwaway dev PKI): a user message phase4 sent, and phase4's receipt,
// duplicate notice and error in answer to Facteur's messages. The live exchanges are tested in
// test/peppol-phase4.test.ts; these run without a JVM, and keep phase4's wire format (its prefixes, its C14N and
// MIME choices) under every change to the readers.
import { describe, expect, it } from 'vitest'
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { checkChain, parseCertificate } from './pki.js'
import { isDuplicateNotice, readAnswer, readUserMessage } from './as4-inbound.js'
import { buildMultipart, parseMultipart } from './mime.js'

const file = (name: string) => readFileSync(new URL(`./testdata/phase4/${name}`, import.meta.url))
const der = (name: string) => Buffer.from(new X509Certificate(file(name)).raw)
const captured = JSON.parse(file('captured.json').toString()) as { capturedAt: string; sbdhSha256: string }
const userMessage = JSON.parse(file('phase4-user-message.json').toString()) as { contentType: string; messageId: string; from: string; to: string }
const sent = JSON.parse(file('facteur-message.json').toString()) as { messageId: string; references: { uri: string; digest: string }[]; tamperedMessageId: string }
const references = sent.references.map((r) => ({ uri: r.uri, digest: Buffer.from(r.digest, 'base64') }))
const apCa = parseCertificate(file('ap-ca.pem'))
const phase4Cert = der('POP000002.pem')

describe('a user message phase4 sent to Facteur', () => {
  const own = { key: createPrivateKey(file('POP000001.key.pem')), certificate: der('POP000001.pem'), seatId: 'POP000001' }
  // The sender's chain, checked as on the day it was captured (the dev certificates expire).
  const trust = (certificate: Buffer) => {
    const c = checkChain(certificate, [apCa], new Date(captured.capturedAt), { usage: 'ap' })
    return c.ok ? { ok: true as const } : { ok: false as const, reason: c.message }
  }
  const read = (contentType: string, body: Buffer) => readUserMessage(contentType, body, { own, trust, maxPayloadBytes: 1 << 20 })
  const body = file('phase4-user-message.body')

  it('decrypts, verifies every reference, decompresses, and gives the SBDH phase4 was given', async () => {
    const received = await read(userMessage.contentType, body)
    if (!received.ok) throw new Error(`${received.error.code}: ${received.error.detail}`)
    expect(received.message).toMatchObject({ messageId: userMessage.messageId, from: 'POP000002', to: 'POP000001' })
    expect(createHash('sha256').update(received.sbdh).digest('hex')).toBe(captured.sbdhSha256)
    expect(received.senderCertificate.equals(phase4Cert)).toBe(true)
    // phase4 signs the ebMS header, the SOAP body and the attachment: three references for the receipt to repeat.
    expect(received.references).toHaveLength(3)
    expect(received.references.some((r) => r.includes('cid:'))).toBe(true)
  })

  it('refuses it with a byte of the encrypted attachment changed, or a signed header value changed', async () => {
    const parts = parseMultipart(userMessage.contentType, body)
    if (!parts.ok) throw new Error(parts.reason)
    const header = (p: { headers: Record<string, string> }) => Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k.replace(/(^|-)\w/g, (c) => c.toUpperCase()), v]))
    const attachment = Buffer.from(parts.attachments[0]!.body)
    attachment[attachment.length - 40]! ^= 1
    const changedAttachment = buildMultipart([{ headers: header(parts.root), body: parts.root.body }, { headers: header(parts.attachments[0]!), body: attachment }])
    expect(await read(changedAttachment.contentType, changedAttachment.body)).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^EBMS:01/) } })

    const soap = parts.root.body.toString('utf8')
    const conversation = /<eb:ConversationId>([^<]+)<\/eb:ConversationId>/.exec(soap)
    expect(conversation).not.toBeNull()
    const changedHeader = buildMultipart([{ headers: header(parts.root), body: Buffer.from(soap.replace(conversation![0], '<eb:ConversationId>forged</eb:ConversationId>')) }, { headers: header(parts.attachments[0]!), body: parts.attachments[0]!.body }])
    expect(await read(changedHeader.contentType, changedHeader.body)).toMatchObject({ ok: false, error: { code: 'EBMS:0101' } })
  })

  it('refuses it when the sender\'s certificate is not trusted', async () => {
    const received = await readUserMessage(userMessage.contentType, body, { own, trust: () => ({ ok: false, reason: 'not trusted here' }), maxPayloadBytes: 1 << 20 })
    expect(received).toMatchObject({ ok: false, error: { code: 'EBMS:0101', detail: expect.stringContaining('not trusted here') } })
  })
})

describe('phase4\'s answers to Facteur', () => {
  it('its receipt verifies with its certificate and repeats every reference Facteur signed', () => {
    expect(readAnswer(file('phase4-receipt.xml'), { messageId: sent.messageId, references }, phase4Cert)).toMatchObject({ kind: 'receipt', refToMessageId: sent.messageId })
  })

  it('its receipt does not count for another message, with other references, from another signer, or changed', () => {
    const receipt = file('phase4-receipt.xml')
    expect(readAnswer(receipt, { messageId: sent.tamperedMessageId, references }, phase4Cert).kind).toBe('invalid')
    const otherDigest = references.map((r, i) => (i === 0 ? { ...r, digest: createHash('sha256').update('other').digest() } : r))
    expect(readAnswer(receipt, { messageId: sent.messageId, references: otherDigest }, phase4Cert).kind).toBe('invalid')
    expect(readAnswer(receipt, { messageId: sent.messageId, references }, der('POP000001.pem')).kind).toBe('invalid')
    const text = receipt.toString('utf8')
    // The signal's own timestamp, a second later: a signed value changed.
    const changed = Buffer.from(text.replace(/(<eb:Timestamp>[^<]*T\d\d:\d\d:)(\d\d)/, (_, head: string, seconds: string) => `${head}${String((Number(seconds) + 1) % 60).padStart(2, '0')}`))
    expect(changed.equals(receipt)).toBe(false)
    expect(readAnswer(changed, { messageId: sent.messageId, references }, phase4Cert).kind).toBe('invalid')
  })

  it('its signed duplicate notice says it has the message already', () => {
    const answer = readAnswer(file('phase4-duplicate-notice.xml'), { messageId: sent.messageId, references }, phase4Cert)
    expect(answer).toMatchObject({ kind: 'error', signed: true, refToMessageId: sent.messageId, errors: [expect.objectContaining({ code: 'EBMS:0004' })] })
    expect(isDuplicateNotice(answer, sent.messageId)).toBe(true)
    expect(isDuplicateNotice(answer, sent.tamperedMessageId)).toBe(false)
  })

  it('its error for a changed attachment is read, signed, with its code', () => {
    const answer = readAnswer(file('phase4-error-tampered.xml'), { messageId: sent.tamperedMessageId, references: [] }, phase4Cert)
    expect(answer).toMatchObject({ kind: 'error', signed: true, errors: [expect.objectContaining({ code: 'EBMS:0102', shortDescription: 'FailedDecryption' })] })
    expect(isDuplicateNotice(answer, sent.tamperedMessageId)).toBe(false)
  })
})
