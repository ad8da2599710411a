// Facteur's AS4 against phase4, the reference implementation, on loopback with the dev PKI, both ways:
// phase4 looks Facteur up in Facteur's own SMP, sends to its POST /as4 and checks Facteur's receipt (its signature
// and non-repudiation information); Facteur's forwarder looks a phase4 receiver up in an SMP, sends to it and checks
// phase4's receipt. Negative cases each way: a sender from an untrusted CA or with an expired certificate, a
// payload changed in transit, a tampered or untrusted SMP answer, a duplicate MessageId, a document type the
// receiver does not serve.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { XmlDocument } from 'libxml2-wasm'
import { dropFolder, hub, randomSiret, registerParticipant, withBuyerAddress, withDb } from './helpers.js'
import { devPkiIdentity, ensurePhase4, phase4Available, phase4Send, startPhase4Receiver, type Phase4Receiver } from './phase4.js'
import { createApp } from '../services/gateway/app.js'
import { loadConfig } from '../services/kit/config.js'
import { createDb, type Db } from '../services/kit/db.js'
import { createLogger } from '../services/kit/log.js'
import { createDevPki, writeDevPki, peppolIdentityFromConfig, type WrittenPki, type DevPki } from '../services/peppol/pki.js'
import { wrap } from '../services/peppol/sbdh.js'
import { buildUserMessage, newMessageId } from '../services/peppol/as4-message.js'
import { isDuplicateNotice, readAnswer } from '../services/peppol/as4-inbound.js'
import { PARTICIPANT_SCHEME, documentTypeId, formatId, parseQualified, processId, type PeppolId } from '../services/peppol/identifiers.js'
import { smpPublisherFromConfig, PEPPOL_BIS_BILLING } from '../services/peppol/smp-publisher.js'
import { AS4_TRANSPORT, signedServiceMetadataXml } from '../services/peppol/smp.js'
import { createSmpClient } from '../services/peppol/smp-client.js'
import { checkChain } from '../services/peppol/pki.js'
import { peppolChannel } from '../services/forwarder/channels/peppol.js'
import { parseMultipart, buildMultipart } from '../services/peppol/mime.js'

const available = phase4Available()
if (!available.ok) console.warn(`phase4 interoperability tests skipped: ${available.reason}`)

const documentType = documentTypeId('ubl-invoice', PEPPOL_BIS_BILLING)
// A UBL invoice of another specification (XRechnung): a document type neither Facteur nor the phase4 peer serves.
const xrechnung = documentTypeId('ubl-invoice', 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0')
const process = processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0')
const seller: PeppolId = { scheme: PARTICIPANT_SCHEME, value: '0009:73282932000074' }
const invoice = readFileSync(new URL('./fixtures/ubl-invoice.xml', import.meta.url))
const sbdhFor = (receiver: PeppolId, type = documentType) => wrap({ sender: seller, receiver, documentType: type, process, countryC1: 'FR', instanceId: randomUUID(), createdAt: new Date() }, invoice)
const canonical = (xml: Buffer | string) => { const d = XmlDocument.fromString(xml.toString()); try { return d.root.canonicalizeToString({ withComments: true }) } finally { d.dispose() } }

describe.skipIf(!available.ok)('AS4 interoperability with phase4', () => {
  let dir: string
  let keys: DevPki
  let pki: WrittenPki
  let foreign: WrittenPki
  let db: Db
  let server: Server
  let facteurUrl: string
  let facteurSmp: string
  let phase4: Phase4Receiver
  let recipient: PeppolId
  let peppol: NonNullable<ReturnType<typeof peppolIdentityFromConfig>>
  let phase4Smp: Server | undefined

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'facteur-interop-'))
    // One more access point of our PKI whose certificate expired yesterday.
    const day = 86_400_000
    const expired = { name: 'POP000009', kind: 'ap' as const, cn: 'POP000009', notBefore: new Date(Date.now() - 30 * day), notAfter: new Date(Date.now() - day) }
    const [ours, theirs] = await Promise.all([createDevPki({ extra: [expired] }), createDevPki(), ensurePhase4()])
    keys = ours
    pki = writeDevPki(ours, join(dir, 'pki'))
    foreign = writeDevPki(theirs, join(dir, 'foreign'))
    // Facteur is POP000001 here, publishing its participants in its own SMP; phase4 is POP000002, with the same PKI.
    const h = hub()
    // Listening first: the hub publishes its own AS4 URL in its SMP.
    server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    facteurUrl = `${base}/as4`
    facteurSmp = `${base}/smp`
    const config = loadConfig({
      FACTEUR_KAFKA_BROKERS: h.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: h.registryUrl, DATABASE_URL: h.databaseUrl, FACTEUR_TOPIC_PREFIX: h.topicPrefix,
      FACTEUR_PEPPOL_SEAT_ID: 'POP000001', FACTEUR_PEPPOL_KEYSTORE: pki.entries.POP000001!.p12, FACTEUR_PEPPOL_KEYSTORE_PASSWORD: pki.entries.POP000001!.password,
      FACTEUR_PEPPOL_AP_CA: pki.apCa, FACTEUR_PEPPOL_SMP_CA: pki.smpCa, FACTEUR_PEPPOL_AS4_URL: facteurUrl,
      FACTEUR_PEPPOL_SMP_KEYSTORE: pki.entries[keys.smp.name]!.p12, FACTEUR_PEPPOL_SMP_KEYSTORE_PASSWORD: pki.entries[keys.smp.name]!.password,
    })
    db = createDb(h.databaseUrl, { max: 2, application: 'peppol-phase4-test' })
    peppol = peppolIdentityFromConfig(config)!
    server.on('request', createApp({ config, db, log: createLogger('silent'), checks: {}, peppol, smp: smpPublisherFromConfig(config, db, peppol) }))
    recipient = { scheme: PARTICIPANT_SCHEME, value: `0009:${randomSiret()}` }
    expect((await registerParticipant(recipient.value, (await dropFolder()).endpoint)).status).toBeLessThan(300)
    // The phase4 receiver takes Peppol BIS Billing invoices only, as its SMP entry would say.
    phase4 = await startPhase4Receiver({ ...devPkiIdentity(pki, 'POP000002'), seat: 'POP000002', dir: join(dir, 'phase4-receiver'), serves: [formatId(documentType)] })
  }, 900_000)

  afterAll(async () => {
    await phase4?.stop()
    await new Promise<void>((resolve) => (phase4Smp ? phase4Smp.close(() => resolve()) : resolve()))
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

  const received = (messageId: string | null) => withDb(async (c) => Number((await c.query('SELECT count(*) FROM as4_received WHERE message_id = $1', [messageId])).rows[0].count))

  it('phase4 → Facteur, found in Facteur\'s own SMP: phase4 verifies the SMP\'s signature, sends to the endpoint and certificate published there', async () => {
    const sent = await phase4Send({ ...devPkiIdentity(pki, 'POP000002'), smp: { url: facteurSmp, trust: pki.smpCa }, sbdh: sbdhFor(recipient), senderSeat: 'POP000002', dir: join(dir, 'smp-to-facteur') })
    expect(sent.outcome, `phase4 sender log: ${sent.log}`).toMatchObject({ success: true, endpointUrl: facteurUrl, nonRepudiation: 'valid', signalSignerCheck: 'valid', receipt: { isReceipt: true } })
    expect(await received(sent.outcome.messageId)).toBe(1)
  })

  it('phase4 → Facteur through an SMP answer changed on the way, or signed by an SMP phase4 does not trust: phase4 sends nothing', async () => {
    // A man in the middle of the SMP lookup points the endpoint at his own server; the answer's signature then fails.
    const attacker = 'http://127.0.0.1:9/as4'
    const proxy = createServer((req, res) => {
      void fetch(new URL(req.url!, facteurSmp).href.replace(/\/smp\/smp\//, '/smp/')).then(async (r) => {
        const body = (await r.text()).split(facteurUrl).join(attacker)
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/xml' }).end(body)
      }, (error: Error) => res.writeHead(502).end(error.message))
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const tampered = await phase4Send({ ...devPkiIdentity(pki, 'POP000002'), smp: { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/smp`, trust: pki.smpCa }, sbdh: sbdhFor(recipient), senderSeat: 'POP000002', dir: join(dir, 'tampered-smp') })
      expect(tampered.outcome, `phase4 sender log: ${tampered.log}`).toMatchObject({ success: false, messageId: null })
      expect(tampered.outcome.endpointUrl).not.toBe(attacker)
      expect(tampered.outcome.error).toMatch(/signature/i)
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    }
    const untrusted = await phase4Send({ ...devPkiIdentity(pki, 'POP000002'), smp: { url: facteurSmp, trust: foreign.smpCa }, sbdh: sbdhFor(recipient), senderSeat: 'POP000002', dir: join(dir, 'untrusted-smp') })
    expect(untrusted.outcome, `phase4 sender log: ${untrusted.log}`).toMatchObject({ success: false, messageId: null })
    expect(untrusted.outcome.error).toMatch(/signature|trust|certificate/i)
  })

  it('phase4 → Facteur with a document type Facteur does not serve: its SMP has no entry, and a message sent anyway gets EBMS:0004 PEPPOL:NOT_SERVICED', async () => {
    const looked = await phase4Send({ ...devPkiIdentity(pki, 'POP000002'), smp: { url: facteurSmp, trust: pki.smpCa }, sbdh: sbdhFor(recipient, xrechnung), senderSeat: 'POP000002', dir: join(dir, 'xrechnung-smp') })
    expect(looked.outcome, `phase4 sender log: ${looked.log}`).toMatchObject({ success: false, messageId: null })
    const sent = await phase4Send({ ...devPkiIdentity(pki, 'POP000002'), url: facteurUrl, receiverCert: pki.entries.POP000001!.cert, sbdh: sbdhFor(recipient, xrechnung), senderSeat: 'POP000002', dir: join(dir, 'xrechnung-to-facteur') })
    expect(sent.outcome, `phase4 sender log: ${sent.log}`).toMatchObject({ success: false, result: 'as4-error-msg-received', signalSignerCheck: 'valid' })
    expect(sent.outcome.errors).toEqual([expect.objectContaining({ errorCode: 'EBMS:0004', errorDetail: 'PEPPOL:NOT_SERVICED', description: expect.stringContaining('does not receive the document type') })])
    expect(await received(sent.outcome.messageId)).toBe(0)
  })

  it('phase4 → Facteur twice under one MessageId: processed once, and the second gets Facteur\'s first receipt again', async () => {
    const messageId = `${randomUUID()}@phase4`
    const send = (name: string) => phase4Send({ ...devPkiIdentity(pki, 'POP000002'), url: facteurUrl, receiverCert: pki.entries.POP000001!.cert, sbdh: sbdhFor(recipient), senderSeat: 'POP000002', messageId, dir: join(dir, name) })
    const first = await send('duplicate-1')
    const second = await send('duplicate-2')
    expect(first.outcome, `phase4 sender log: ${first.log}`).toMatchObject({ success: true, messageId })
    expect(second.outcome, `phase4 sender log: ${second.log}`).toMatchObject({ messageId, receipt: { isReceipt: true, refToMessageId: messageId }, signalSignerCheck: 'valid' })
    expect(readFileSync(join(second.dir, 'response.body'))).toEqual(readFileSync(join(first.dir, 'response.body')))
    expect(await received(messageId)).toBe(1)
    expect(await withDb(async (c) => Number((await c.query('SELECT count(*) FROM documents WHERE idempotency_key = $1', [messageId])).rows[0].count))).toBe(1)
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

  const facteurSends = async ({ tamper, times = 1, signer = keys.ap, type = documentType }: { tamper?: (attachment: Buffer) => Buffer; times?: number; signer?: DevPki['ap']; type?: PeppolId } = {}) => {
    const messageId = newMessageId()
    const receiver: PeppolId = { scheme: PARTICIPANT_SCHEME, value: '0009:11000201100044' }
    const sbdh = Buffer.from(sbdhFor(receiver, type))
    const built = await buildUserMessage({
      messageId, conversationId: randomUUID(), timestamp: new Date(), from: signer.name, to: 'POP000002', process, documentType: type, originalSender: seller, finalRecipient: receiver,
    }, sbdh, { key: signer.privateKey, certificate: signer.certificate.der }, keys.peer.certificate.der)
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
    const { messageId, answers } = await facteurSends({ times: 2 })
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
    const { answer } = await facteurSends({ tamper: (attachment) => { const b = Buffer.from(attachment); b[b.length - 20]! ^= 1; return b } })
    expect(answer).toMatchObject({ kind: 'error', errors: [expect.objectContaining({ code: expect.stringMatching(/^EBMS:0/) })] })
  })

  it('Facteur → phase4 signed with an expired certificate: phase4 refuses it, naming the failed validity check', async () => {
    const { answer } = await facteurSends({ signer: keys.extra.POP000009! })
    // phase4 4.4.1 reports WSS4J's failure on the whole security header as EBMS:0102 (FailedDecryption), not 0101;
    // either way the forwarder gives up at once (a permanent error: the certificate will not become valid again).
    expect(answer, `phase4 receiver log: ${phase4.log}`).toMatchObject({ kind: 'error', errors: [expect.objectContaining({ code: 'EBMS:0102', detail: expect.stringContaining('validity check failed') })] })
  })

  it('Facteur\'s forwarder → phase4: finds phase4 in an SMP, sends, and keeps phase4\'s verified receipt; a document type phase4 does not serve fails at once with PEPPOL:NOT_SERVICED', async () => {
    // An SMP for the phase4 access point, as its operator would run it: for any participant and document type asked,
    // phase4's endpoint and certificate, signed with the SMP key of the PKI.
    phase4Smp = createServer((req, res) => {
      const [, who, what] = /^\/smp\/([^/]+)\/services\/([^/]+)$/.exec(req.url ?? '') ?? []
      const participant = who && parseQualified(decodeURIComponent(who))
      const type = what && parseQualified(decodeURIComponent(what))
      if (!participant || !type) return void res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'text/xml' }).end(signedServiceMetadataXml({ participant, documentType: type, processes: [{ process, endpoints: [{
        transportProfile: AS4_TRANSPORT, address: phase4.url, certificate: keys.peer.certificate.der, description: 'phase4 peer', technicalContact: 'interop test',
      }] }] }, { key: keys.smp.privateKey, certificate: keys.smp.certificate.der }))
    })
    await new Promise<void>((resolve) => phase4Smp!.listen(0, '127.0.0.1', resolve))
    const smp = createSmpClient({
      smlZone: 'unused.test', smpUrl: `http://127.0.0.1:${(phase4Smp.address() as AddressInfo).port}/smp`, resolveNaptr: async () => [],
      trust: (der) => { const c = checkChain(der, peppol.smpCAs); return c.ok ? { ok: true } : { ok: false, reason: c.message } },
    })
    const channel = peppolChannel({ db, peppol, smp, http: { timeoutMs: 30_000, allowedHosts: ['127.0.0.1'] } })
    const deliver = async (customization: string) => {
      const bytes = Buffer.from(withBuyerAddress(invoice, '21750001600019', randomSiret()).toString('utf8')
        .replace(/<cbc:CustomizationID>[^<]*<\/cbc:CustomizationID>/, `<cbc:CustomizationID>${customization}</cbc:CustomizationID><cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>`))
      // The sending hub's record of the document (as4_sent refers to it).
      const documentId = randomUUID()
      await withDb((c) => c.query(`INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256) SELECT $1, id, 'application/xml', $2, $3, $4 FROM partners WHERE name = 'demo'`,
        [documentId, bytes, bytes.length, createHash('sha256').update(bytes).digest('hex')]))
      return { documentId, outcome: await channel(new URL('peppol:'), { documentId, contentType: 'application/xml', bytes }) }
    }

    const delivered = await deliver(PEPPOL_BIS_BILLING)
    expect(delivered.outcome, `phase4 receiver log: ${phase4.log}`).toMatchObject({ outcome: 'delivered', detail: expect.stringContaining('from POP000002') })
    const sent = await withDb(async (c) => (await c.query('SELECT message_id, to_seat, endpoint, receipt FROM as4_sent WHERE document_id = $1', [delivered.documentId])).rows[0])
    expect(sent).toMatchObject({ message_id: `${delivered.documentId}@facteur`, to_seat: 'POP000002', endpoint: phase4.url })
    expect(sent.receipt.toString()).toContain('NonRepudiationInformation')
    expect(phase4.exchanges().find((e) => e.messageId === sent.message_id)).toMatchObject({ accepted: true })

    const refused = await deliver(xrechnung.value.split('##')[1]!.replace(/::2\.1$/, ''))
    expect(refused.outcome).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('PEPPOL:NOT_SERVICED') })
  })
})
