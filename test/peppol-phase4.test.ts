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
import { EUSR_DOCUMENT_TYPE, OPENPEPPOL_RECEIVER, REPORTING_PROCESS, TSR_DOCUMENT_TYPE, periodOf } from '../services/peppol/reporting.js'
import { startReportSender } from '../services/forwarder/peppol-reports.js'
import { ensureReportingArtefacts } from '../services/validation/artefacts.js'
import { main as peppolCli } from '../services/hub/peppol-cli.js'
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
  let foreignKeys: DevPki
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
  let phase4SmpUrl: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'facteur-interop-'))
    // One more access point of our PKI whose certificate expired yesterday.
    const day = 86_400_000
    const expired = { name: 'POP000009', kind: 'ap' as const, cn: 'POP000009', notBefore: new Date(Date.now() - 30 * day), notAfter: new Date(Date.now() - day) }
    const [ours, theirs] = await Promise.all([createDevPki({ extra: [expired] }), createDevPki(), ensurePhase4()])
    keys = ours
    foreignKeys = theirs
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
    // The phase4 receiver takes Peppol BIS Billing invoices and Peppol's reports (it stands in for OpenPeppol's
    // access point in the reporting test), as its SMP entry would say.
    phase4 = await startPhase4Receiver({
      ...devPkiIdentity(pki, 'POP000002'), seat: 'POP000002', dir: join(dir, 'phase4-receiver'),
      serves: [documentType, TSR_DOCUMENT_TYPE, EUSR_DOCUMENT_TYPE].map(formatId),
    })
    // An SMP for the phase4 access point, as its operator would run it: for any participant and document type asked,
    // phase4's endpoint and certificate, signed with the SMP key of the PKI.
    phase4Smp = createServer((req, res) => {
      const [, who, what] = /^\/smp\/([^/]+)\/services\/([^/]+)$/.exec(req.url ?? '') ?? []
      const participant = who && parseQualified(decodeURIComponent(who))
      const type = what && parseQualified(decodeURIComponent(what))
      if (!participant || !type) return void res.writeHead(404).end()
      const endpoints = [{ transportProfile: AS4_TRANSPORT, address: phase4.url, certificate: keys.peer.certificate.der, description: 'phase4 peer', technicalContact: 'interop test' }]
      res.writeHead(200, { 'content-type': 'text/xml' }).end(signedServiceMetadataXml({
        participant, documentType: type, processes: [process, REPORTING_PROCESS].map((p) => ({ process: p, endpoints })),
      }, { key: keys.smp.privateKey, certificate: keys.smp.certificate.der }))
    })
    await new Promise<void>((resolve) => phase4Smp!.listen(0, '127.0.0.1', resolve))
    phase4SmpUrl = `http://127.0.0.1:${(phase4Smp.address() as AddressInfo).port}/smp`
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

  it('Facteur → phase4 signed by an access point of another PKI: phase4 refuses it', async () => {
    const { answer } = await facteurSends({ signer: foreignKeys.ap })
    // WSS4J cannot validate the signer's path to a trusted root, and phase4 reports the whole security header as
    // EBMS:0102 (as for an expired certificate).
    expect(answer, `phase4 receiver log: ${phase4.log}`).toMatchObject({ kind: 'error', errors: [expect.objectContaining({ code: 'EBMS:0102', detail: expect.stringContaining('certificate path validation') })] })
  })

  it('Facteur → phase4 signed with an expired certificate: phase4 refuses it, naming the failed validity check', async () => {
    const { answer } = await facteurSends({ signer: keys.extra.POP000009! })
    // phase4 4.4.1 reports WSS4J's failure on the whole security header as EBMS:0102 (FailedDecryption), not 0101;
    // either way the forwarder gives up at once (a permanent error: the certificate will not become valid again).
    expect(answer, `phase4 receiver log: ${phase4.log}`).toMatchObject({ kind: 'error', errors: [expect.objectContaining({ code: 'EBMS:0102', detail: expect.stringContaining('validity check failed') })] })
  })

  it('Facteur\'s forwarder → phase4: finds phase4 in an SMP, sends, and keeps phase4\'s verified receipt; a document type phase4 does not serve fails at once with PEPPOL:NOT_SERVICED', async () => {
    const smp = createSmpClient({
      smlZone: 'unused.test', smpUrl: phase4SmpUrl, resolveNaptr: async () => [],
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
  it('the monthly reports: built from the month\'s AS4 exchanges, passing OpenPeppol\'s rules, sent to OpenPeppol\'s participant over AS4 once (phase4 stands in for its access point)', async () => {
    // A month of its own (long past, so nothing else counts in it), seeded: three messages sent with a receipt, one
    // without (not counted), two received.
    const month = `${1990 + Math.floor(Math.random() * 30)}-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}`
    const at = (day: number) => new Date(`${month}-${String(day).padStart(2, '0')}T12:00:00Z`)
    const bis = documentType.value
    const creditNote = documentTypeId('ubl-creditnote', PEPPOL_BIS_BILLING).value
    await withDb(async (c) => {
      await c.query('DELETE FROM peppol_reports WHERE month = $1', [month])
      const sent = async (seat: string, type: string, c1: string, c4: string, c4Country: string, receiptAt: Date | null) => c.query(
        `INSERT INTO as4_sent (message_id, document_id, to_seat, endpoint, receiver_cert, content_type, message, signed_refs, receipt, receipt_at,
           document_type, process, original_sender, final_recipient, country_c1, country_c4)
         VALUES ($1, NULL, $2, 'https://ap.example/as4', '\\x00', 'multipart/related', '\\x00', '[]', $3, $4, $5, $6, $7, $8, 'FR', $9)`,
        [`${randomUUID()}@test`, seat, receiptAt ? Buffer.from('receipt') : null, receiptAt, type, process.value, c1, c4, c4Country])
      await sent('POP000002', bis, '0009:73282932000074', '0208:0123456789', 'BE', at(3))
      await sent('POP000002', bis, '0009:73282932000074', '0088:4012345000009', 'DE', at(10))
      await sent('POP000003', creditNote, '0009:35600000000048', '0208:0123456789', 'BE', at(20))
      await sent('POP000003', bis, '0009:35600000000048', '0208:0999999999', 'BE', null)
      const documentId = randomUUID()
      await c.query(`INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256) SELECT $1, id, 'application/xml', $2, 1, $3 FROM partners WHERE name = 'demo'`,
        [documentId, Buffer.from('x'), createHash('sha256').update('x').digest('hex')])
      for (const day of [5, 25]) {
        await c.query(`INSERT INTO as4_received (message_id, from_seat, document_id, receipt, sender_cert, message, received_at, document_type, process, original_sender, final_recipient, country_c1, country_c4)
          VALUES ($1, 'POP000002', $2, 'receipt', '\\x00', '\\x00', $3, $4, $5, '0208:0555555555', $6, 'BE', 'FR')`, [`${randomUUID()}@test`, documentId, at(day), bis, process.value, recipient.value])
      }
    })
    const env = {
      DATABASE_URL: hub().databaseUrl, FACTEUR_TOPIC_PREFIX: hub().topicPrefix, FACTEUR_DELIVERY_ALLOWED_HOSTS: '127.0.0.1',
      FACTEUR_PEPPOL_SEAT_ID: 'POP000001', FACTEUR_PEPPOL_KEYSTORE: pki.entries.POP000001!.p12, FACTEUR_PEPPOL_KEYSTORE_PASSWORD: pki.entries.POP000001!.password,
      FACTEUR_PEPPOL_AP_CA: pki.apCa, FACTEUR_PEPPOL_SMP_CA: pki.smpCa, FACTEUR_PEPPOL_SMP_URL: phase4SmpUrl,
    }
    const cli = async (...argv: string[]) => {
      let out = ''
      let err = ''
      const code = await peppolCli(['report', '--month', month, '--out', join(dir, `reports-${month}`), ...argv], { env, out: (t) => { out += t }, err: (t) => { err += t } })
      return { code, out, err }
    }
    const values = (xml: string, path: string, ns: Record<string, string>) => {
      const doc = XmlDocument.fromString(xml)
      try { return doc.find(path, ns).map((n) => n.content) } finally { doc.dispose() }
    }
    const sbdhNs = { sh: 'http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader' }
    const tsrNs = { ...sbdhNs, t: 'urn:fdc:peppol:transaction-statistics-report:1.0' }
    const eusrNs = { ...sbdhNs, e: 'urn:fdc:peppol:end-user-statistics-report:1.1' }

    // Built and written, not sent.
    const built = await cli()
    expect(built, built.err).toMatchObject({ code: 0 })
    expect(built.out).toContain(`Transaction Statistics Report of ${month}: 5 AS4 exchange(s); OpenPeppol's rules: passed`)
    expect(built.out).toContain(`End User Statistics Report of ${month}: 5 AS4 exchange(s); OpenPeppol's rules: passed`)
    const tsrFile = readFileSync(join(dir, `reports-${month}`, `peppol-tsr-${month}.xml`), 'utf8')
    expect(values(tsrFile, '//t:Total/t:Incoming | //t:Total/t:Outgoing', tsrNs)).toEqual(['2', '3'])
    expect(values(tsrFile, '//sh:Receiver/sh:Identifier', tsrNs)).toEqual([OPENPEPPOL_RECEIVER.value])
    expect(values(tsrFile, '//t:Subtotal[@type="PerTP"]/t:Key', tsrNs)).toEqual(['peppol-transport-as4-v2_0'])
    const eusrFile = readFileSync(join(dir, `reports-${month}`, `peppol-eusr-${month}.xml`), 'utf8')
    // Sending end users: the two C1 sellers; receiving: the one C4 of the received messages.
    expect(values(eusrFile, '//e:FullSet/e:SendingEndUsers | //e:FullSet/e:ReceivingEndUsers | //e:FullSet/e:SendingOrReceivingEndUsers', eusrNs)).toEqual(['2', '1', '3'])
    expect(await withDb(async (c) => (await c.query('SELECT count(*)::int AS n FROM peppol_reports WHERE month = $1', [month])).rows[0].n)).toBe(0)

    // Sent: OpenPeppol's participant found by SMP, each report in its own AS4 message, the receipts kept.
    const before = phase4.exchanges().length
    const sent = await cli('--send')
    expect(sent, sent.err).toMatchObject({ code: 0 })
    expect(sent.out).toMatch(new RegExp(`Transaction Statistics Report of ${month} \\(MessageId [^)]+\\): sent`))
    expect(sent.out).toMatch(new RegExp(`End User Statistics Report of ${month} \\(MessageId [^)]+\\): sent`))
    const rows = await withDb(async (c) => (await c.query(
      `SELECT r.kind, r.message_id, r.sent_at, s.to_seat, s.receipt IS NOT NULL AS receipt, s.document_type FROM peppol_reports r JOIN as4_sent s USING (message_id) WHERE r.month = $1 ORDER BY r.kind`, [month])).rows)
    expect(rows).toEqual([
      expect.objectContaining({ kind: 'eusr', to_seat: 'POP000002', receipt: true, document_type: EUSR_DOCUMENT_TYPE.value, sent_at: expect.any(Date) }),
      expect.objectContaining({ kind: 'tsr', to_seat: 'POP000002', receipt: true, document_type: TSR_DOCUMENT_TYPE.value, sent_at: expect.any(Date) }),
    ])
    const arrived = phase4.exchanges().slice(before)
    expect(arrived.map((e) => e.accepted)).toEqual([true, true])
    const payloads = arrived.map((e) => phase4.read(e).payload!.toString('utf8'))
    expect(payloads.map((x) => values(x, '//sh:Receiver/sh:Identifier', sbdhNs)[0])).toEqual([OPENPEPPOL_RECEIVER.value, OPENPEPPOL_RECEIVER.value])
    expect(canonical(payloads.find((x) => x.includes('TransactionStatisticsReport'))!)).toBe(canonical(readFileSync(join(dir, `reports-${month}`, `peppol-tsr-${month}.xml`))))

    // Once sent, a report is not sent again; the files are those sent.
    const again = await cli('--send')
    expect(again.code).toBe(0)
    expect(again.out).toContain('sent: sent on')
    expect(phase4.exchanges().length).toBe(before + 2)
  })
  it('the forwarder sends last month\'s reports on its own once the month is over, and only then', async () => {
    const month = `${1960 + Math.floor(Math.random() * 30)}-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}`
    await withDb((c) => c.query('DELETE FROM peppol_reports WHERE month = $1', [month]))
    const { to } = periodOf(month)
    let now = new Date(to.getTime() + 30 * 60_000) // the month is over, but receipts may still be on their way (1 h of grace)
    const logged: { level: string; msg: string }[] = []
    const log = createLogger('silent')
    for (const level of ['info', 'warn', 'error'] as const) log[level] = ((fields: unknown, msg: string) => { logged.push({ level, msg }) }) as never
    const smp = createSmpClient({
      smlZone: 'unused.test', smpUrl: phase4SmpUrl, resolveNaptr: async () => [],
      trust: (der) => { const c = checkChain(der, peppol.smpCAs); return c.ok ? { ok: true } : { ok: false, reason: c.message } },
    })
    const sender = startReportSender({
      db, log, peppol, smp, http: { timeoutMs: 30_000, allowedHosts: ['127.0.0.1'] }, country: 'FR', rules: () => ensureReportingArtefacts(), now: () => now, everyMs: 3_600_000,
    })
    const kept = async () => withDb(async (c) => (await c.query('SELECT count(*)::int AS n FROM peppol_reports WHERE month = $1', [month])).rows[0].n)
    try {
      await sender.tick()
      expect(await kept()).toBe(0)
      // The month is over, but the hub was not on the network then: nothing to report.
      now = new Date(to.getTime() + 2 * 3_600_000) // two hours into the next month
      await sender.tick()
      expect(await kept()).toBe(0)
      // It was (a forwarder ran with Peppol on during the month): both reports go.
      await withDb((c) => c.query('INSERT INTO peppol_months (month, seat_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [month, 'POP000001']))
      await sender.tick()
      const rows = await withDb(async (c) => (await c.query('SELECT kind, attempts, last_outcome, sent_at FROM peppol_reports WHERE month = $1 ORDER BY kind', [month])).rows)
      expect(rows).toEqual([
        { kind: 'eusr', attempts: 1, last_outcome: 'delivered', sent_at: expect.any(Date) },
        { kind: 'tsr', attempts: 1, last_outcome: 'delivered', sent_at: expect.any(Date) },
      ])
      expect(logged.filter((l) => l.msg.includes(`of ${month} sent to OpenPeppol`))).toHaveLength(2)
      await sender.tick() // nothing left to send
      expect((await withDb(async (c) => (await c.query('SELECT sum(attempts)::int AS n FROM peppol_reports WHERE month = $1', [month])).rows[0])).n).toBe(2)
    } finally {
      await sender.stop()
    }
  })
})
