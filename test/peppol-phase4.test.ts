// Facteur's AS4 against phase4, the reference implementation, on loopback with the dev PKI, both ways:
// phase4 sends to Facteur's POST /as4 and checks Facteur's receipt (its signature and non-repudiation
// information); Facteur sends to a phase4 receiver and checks phase4's receipt. Negative cases each way: a sender
// from an untrusted CA or with an expired certificate, a payload changed in transit, a duplicate MessageId.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { XmlDocument } from 'libxml2-wasm'
import { dropFolder, hub, randomSiret, registerParticipant, withDb } from './helpers.js'
import { devPkiIdentity, ensurePhase4, phase4Available, phase4Send, startPhase4Receiver, type Phase4Receiver } from './phase4.js'
import { createApp } from '../services/gateway/app.js'
import { loadConfig } from '../services/kit/config.js'
import { createDb, type Db } from '../services/kit/db.js'
import { createLogger } from '../services/kit/log.js'
import { createDevPki, writeDevPki, peppolIdentityFromConfig, type WrittenPki, type DevPki } from '../services/peppol/pki.js'
import { wrap } from '../services/peppol/sbdh.js'
import { buildUserMessage, newMessageId } from '../services/peppol/as4-message.js'
import { isDuplicateNotice, readAnswer } from '../services/peppol/as4-inbound.js'
import { PARTICIPANT_SCHEME, documentTypeId, processId, type PeppolId } from '../services/peppol/identifiers.js'
import { parseMultipart, buildMultipart } from '../services/peppol/mime.js'

const available = phase4Available()
if (!available.ok) console.warn(`phase4 interoperability tests skipped: ${available.reason}`)

const documentType = documentTypeId('ubl-invoice', 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0')
const process = processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0')
const seller: PeppolId = { scheme: PARTICIPANT_SCHEME, value: '0009:73282932000074' }
const invoice = readFileSync(new URL('./fixtures/ubl-invoice.xml', import.meta.url))
const sbdhFor = (receiver: PeppolId) => wrap({ sender: seller, receiver, documentType, process, countryC1: 'FR', instanceId: randomUUID(), createdAt: new Date() }, invoice)
const canonical = (xml: Buffer | string) => { const d = XmlDocument.fromString(xml.toString()); try { return d.root.canonicalizeToString({ withComments: true }) } finally { d.dispose() } }

describe.skipIf(!available.ok)('AS4 interoperability with phase4', () => {
  let dir: string
  let keys: DevPki
  let pki: WrittenPki
  let foreign: WrittenPki
  let db: Db
  let server: Server
  let facteurUrl: string
  let phase4: Phase4Receiver
  let recipient: PeppolId

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'facteur-interop-'))
    // One more access point of our PKI whose certificate expired yesterday.
    const day = 86_400_000
    const expired = { name: 'POP000009', kind: 'ap' as const, cn: 'POP000009', notBefore: new Date(Date.now() - 30 * day), notAfter: new Date(Date.now() - day) }
    const [ours, theirs] = await Promise.all([createDevPki({ extra: [expired] }), createDevPki(), ensurePhase4()])
    keys = ours
    pki = writeDevPki(ours, join(dir, 'pki'))
    foreign = writeDevPki(theirs, join(dir, 'foreign'))
    // Facteur is POP000001 here; phase4 is POP000002, with the same PKI.
    const h = hub()
    const config = loadConfig({
      FACTEUR_KAFKA_BROKERS: h.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: h.registryUrl, DATABASE_URL: h.databaseUrl, FACTEUR_TOPIC_PREFIX: h.topicPrefix,
      FACTEUR_PEPPOL_SEAT_ID: 'POP000001', FACTEUR_PEPPOL_KEYSTORE: pki.entries.POP000001!.p12, FACTEUR_PEPPOL_KEYSTORE_PASSWORD: pki.entries.POP000001!.password,
      FACTEUR_PEPPOL_AP_CA: pki.apCa, FACTEUR_PEPPOL_SMP_CA: pki.smpCa,
    })
    db = createDb(h.databaseUrl, { max: 2, application: 'peppol-phase4-test' })
    const app = createApp({ config, db, log: createLogger('silent'), checks: {}, peppol: peppolIdentityFromConfig(config) })
    server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
    facteurUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/as4`
    recipient = { scheme: PARTICIPANT_SCHEME, value: `0009:${randomSiret()}` }
    expect((await registerParticipant(recipient.value, (await dropFolder()).endpoint)).status).toBeLessThan(300)
    phase4 = await startPhase4Receiver({ ...devPkiIdentity(pki, 'POP000002'), seat: 'POP000002', dir: join(dir, 'phase4-receiver') })
  }, 900_000)

  afterAll(async () => {
    await phase4?.stop()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    await db?.end()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('phase4 → Facteur: Facteur stores the message and phase4 verifies Facteur\'s receipt and its non-repudiation information', async () => {
    const sent = await phase4Send({ ...devPkiIdentity(pki, 'POP000002'), url: facteurUrl, receiverCert: pki.entries.POP000001!.cert, sbdh: sbdhFor(recipient), senderSeat: 'POP000002', dir: join(dir, 'to-facteur') })
    expect(sent.outcome, `phase4 sender log: ${sent.log}`).toMatchObject({ success: true, result: 'success', nonRepudiation: 'valid', signalSignerCheck: 'valid', receipt: { isReceipt: true } })
    const row = await withDb(async (c) => (await c.query('SELECT from_seat, original_sender, final_recipient FROM as4_received WHERE message_id = $1', [sent.outcome.messageId])).rows[0])
    expect(row).toEqual({ from_seat: 'POP000002', original_sender: seller.value, final_recipient: recipient.value })
  })

  it('phase4 → Facteur from an access point of another PKI: refused with a signed ebMS error, nothing stored', async () => {
    // Signed with the foreign key; trusting our CA, so that phase4 agrees to encrypt for Facteur's certificate.
    const sent = await phase4Send({ ...devPkiIdentity(foreign, 'POP000002'), trust: pki.apCa, trustRoot: pki.rootCa, url: facteurUrl, receiverCert: pki.entries.POP000001!.cert, sbdh: sbdhFor(recipient), senderSeat: 'POP000002', dir: join(dir, 'foreign-to-facteur') })
    expect(sent.outcome.success, `phase4 sender log: ${sent.log}`).toBe(false)
    expect(sent.outcome.errors).toEqual([expect.objectContaining({ errorCode: 'EBMS:0101', errorDetail: expect.stringContaining('not trusted') })])
    expect(await withDb(async (c) => (await c.query('SELECT 1 FROM as4_received WHERE message_id = $1', [sent.outcome.messageId])).rows.length)).toBe(0)
  })

  it('phase4 → Facteur signed with an expired certificate: refused with EBMS:0101 naming the expiry', async () => {
    const sent = await phase4Send({ ...devPkiIdentity(pki, 'POP000009'), url: facteurUrl, receiverCert: pki.entries.POP000001!.cert, sbdh: sbdhFor(recipient), senderSeat: 'POP000009', dir: join(dir, 'expired-to-facteur') })
    expect(sent.outcome.success, `phase4 sender log: ${sent.log}`).toBe(false)
    // phase4 signs with it (it does not check its own certificate's dates); Facteur refuses, and says why.
    expect(sent.outcome.result).toBe('as4-error-msg-received')
    expect(sent.outcome.signalSignerCheck).toBe('valid')
    expect(sent.outcome.errors).toEqual([expect.objectContaining({ errorCode: 'EBMS:0101', errorDetail: expect.stringContaining('expired') })])
  })

  const facteurSends = async (tamper?: (attachment: Buffer) => Buffer, times = 1) => {
    const messageId = newMessageId()
    const receiver: PeppolId = { scheme: PARTICIPANT_SCHEME, value: '0009:11000201100044' }
    const sbdh = Buffer.from(sbdhFor(receiver))
    const built = await buildUserMessage({
      messageId, conversationId: randomUUID(), timestamp: new Date(), from: 'POP000001', to: 'POP000002', process, documentType, originalSender: seller, finalRecipient: receiver,
    }, sbdh, { key: keys.ap.privateKey, certificate: keys.ap.certificate.der }, keys.peer.certificate.der)
    let message = { contentType: built.contentType, body: built.body }
    if (tamper) {
      const parts = parseMultipart(built.contentType, built.body)
      if (!parts.ok) throw new Error(parts.reason)
      const header = (p: { headers: Record<string, string> }) => Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k.replace(/(^|-)\w/g, (c) => c.toUpperCase()), v]))
      message = buildMultipart([{ headers: header(parts.root), body: parts.root.body }, { headers: header(parts.attachments[0]!), body: tamper(parts.attachments[0]!.body) }])
    }
    const answers = []
    for (let i = 0; i < times; i++) {
      const res = await fetch(phase4.url, { method: 'POST', headers: { 'content-type': message.contentType, 'mime-version': '1.0' }, body: message.body })
      answers.push(readAnswer(Buffer.from(await res.arrayBuffer()), { messageId, references: built.references }, keys.peer.certificate.der))
    }
    return { messageId, sbdh, answer: answers[0]!, answers }
  }

  it('Facteur → phase4 twice, the same message (a retry whose receipt was lost): phase4\'s signed duplicate notice counts as delivered', async () => {
    const { messageId, answers } = await facteurSends(undefined, 2)
    expect(answers[0]).toMatchObject({ kind: 'receipt' })
    expect(answers[1]).toMatchObject({ kind: 'error', signed: true, refToMessageId: messageId, errors: [expect.objectContaining({ code: 'EBMS:0004' })] })
    expect(isDuplicateNotice(answers[1]!, messageId)).toBe(true)
  })

  it('Facteur → phase4: phase4 decrypts, verifies and stores the SBDH; Facteur verifies phase4\'s receipt', async () => {
    const before = phase4.exchanges().length
    const { messageId, sbdh, answer } = await facteurSends()
    expect(answer, `phase4 receiver log: ${phase4.log}`).toMatchObject({ kind: 'receipt', refToMessageId: messageId })
    const exchange = phase4.exchanges().slice(before).find((e) => e.messageId === messageId)
    expect(exchange).toBeDefined()
    const files = phase4.read(exchange!)
    expect(files.payload && canonical(files.payload)).toBe(canonical(sbdh))
  })

  it('Facteur → phase4 with the payload changed in transit: phase4 answers an ebMS error that Facteur reads', async () => {
    const { answer } = await facteurSends((attachment) => { const b = Buffer.from(attachment); b[b.length - 20]! ^= 1; return b })
    expect(answer).toMatchObject({ kind: 'error', errors: [expect.objectContaining({ code: expect.stringMatching(/^EBMS:0/) })] })
  })
})
