// Corner 3 on the real pipeline: another access point (Facteur's own AS4 sender, as the peer POP000002) pushes
// a user message to the hub's POST /as4; the hub answers a signed receipt only once the document is stored,
// and the document goes the whole way (ingest, validation, routing to the participant that receives it,
// delivery). A duplicate MessageId gets the same receipt and is not processed twice; refusals are ebMS errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createServer, type Server } from 'node:http'
import { randomUUID, createHash } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { dropFolder, fixture, hub, randomSiret, registerParticipant, waitForStatus, withBuyerAddress, withDb } from './helpers.js'
import { createApp } from '../services/gateway/app.js'
import { loadConfig } from '../services/kit/config.js'
import { createDb, type Db } from '../services/kit/db.js'
import { createLogger } from '../services/kit/log.js'
import { createDevPki, writeDevPki, peppolIdentityFromConfig, checkChain, type DevPki, type WrittenPki } from '../services/peppol/pki.js'
import { smpPublisherFromConfig, PEPPOL_BIS_BILLING } from '../services/peppol/smp-publisher.js'
import { createSmpClient } from '../services/peppol/smp-client.js'
import { peppolChannel } from '../services/forwarder/channels/peppol.js'
import { buildUserMessage, newMessageId, type UserMessage } from '../services/peppol/as4-message.js'
import { readAnswer } from '../services/peppol/as4-inbound.js'
import { wrap } from '../services/peppol/sbdh.js'
import { documentTypeId, processId, type PeppolId } from '../services/peppol/identifiers.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'

const documentType = documentTypeId('ubl-invoice', 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0')
const process = processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0')
const seller: PeppolId = { scheme: 'iso6523-actorid-upis', value: '0009:73282932000074' }

let pki: DevPki
let stranger: DevPki
let dir: string
let db: Db
let server: Server
let url: string
let recipient: PeppolId
let inbox: string
let files: WrittenPki
let smpUrl: string

/** The settings of a hub whose access point is `seat` (POP000001 this file's receiving hub, POP000002 the peer). */
const settings = (seat: string) => {
  const h = hub()
  return {
    FACTEUR_KAFKA_BROKERS: h.kafkaBrokers, FACTEUR_SCHEMA_REGISTRY_URL: h.registryUrl, DATABASE_URL: h.databaseUrl, FACTEUR_TOPIC_PREFIX: h.topicPrefix,
    FACTEUR_PEPPOL_SEAT_ID: seat, FACTEUR_PEPPOL_CERT: files.entries[seat]!.chain, FACTEUR_PEPPOL_KEY: files.entries[seat]!.key,
    FACTEUR_PEPPOL_AP_CA: files.apCa, FACTEUR_PEPPOL_SMP_CA: files.smpCa,
  }
}

beforeAll(async () => {
  [pki, stranger] = await Promise.all([createDevPki(), createDevPki()])
  dir = mkdtempSync(join(tmpdir(), 'facteur-as4-'))
  files = writeDevPki(pki, join(dir, 'pki'))
  const h = hub()
  // Listening first: the hub publishes its own AS4 URL in its SMP.
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  url = `${base}/as4`
  smpUrl = `${base}/smp`
  const config = loadConfig({
    ...settings(pki.ap.name), FACTEUR_PEPPOL_AS4_URL: url,
    FACTEUR_PEPPOL_SMP_KEYSTORE: files.entries[pki.smp.name]!.p12, FACTEUR_PEPPOL_SMP_KEYSTORE_PASSWORD: files.entries[pki.smp.name]!.password,
  })
  db = createDb(h.databaseUrl, { max: 4, application: 'peppol-as4-test' })
  const peppol = peppolIdentityFromConfig(config)
  const app = createApp({ config, db, log: createLogger('silent'), checks: {}, peppol, smp: smpPublisherFromConfig(config, db, peppol) })
  server.on('request', app)
  // The final recipient receives through the hub, into a drop folder.
  const siret = randomSiret()
  recipient = { scheme: 'iso6523-actorid-upis', value: `0009:${siret}` }
  const folder = await dropFolder()
  inbox = folder.dir
  expect((await registerParticipant(recipient.value, folder.endpoint)).status).toBeLessThan(300)
}, 120_000)

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  await db?.end()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const message = (over: Partial<UserMessage> = {}): UserMessage => ({
  messageId: newMessageId(), conversationId: 'c-1', timestamp: new Date(), from: pki.peer.name, to: pki.ap.name,
  process, documentType, originalSender: seller, finalRecipient: recipient, ...over,
})

async function send(m: UserMessage, invoice: Buffer, from = pki.peer) {
  const sbdh = Buffer.from(wrap({ sender: m.originalSender, receiver: m.finalRecipient, documentType: m.documentType, process: m.process, countryC1: 'FR', instanceId: m.messageId, createdAt: new Date() }, invoice))
  const built = await buildUserMessage(m, sbdh, { key: from.privateKey, certificate: from.certificate.der }, pki.ap.certificate.der)
  const post = async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': built.contentType }, body: built.body })
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
  }
  return { built, post }
}

describe('AS4 into the pipeline (corner 3)', () => {
  it('stores, answers a signed receipt, and delivers the document to the participant; a duplicate is answered with the same receipt', async () => {
    const invoice = withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', recipient.value.slice(5))
    const m = message()
    const { built, post } = await send(m, invoice)
    const first = await post()
    expect(first.status).toBe(200)
    expect(readAnswer(first.body, { messageId: m.messageId, references: built.references }, pki.ap.certificate.der)).toMatchObject({ kind: 'receipt', refToMessageId: m.messageId })
    const row = await withDb(async (c) => (await c.query('SELECT document_id, from_seat, document_type, process, original_sender, final_recipient, country_c1, country_c4 FROM as4_received WHERE message_id = $1', [m.messageId])).rows[0])
    // What the monthly Peppol reports will count is recorded with the message.
    expect(row).toMatchObject({ from_seat: pki.peer.name, document_type: documentType.value, process: process.value, original_sender: seller.value, final_recipient: recipient.value, country_c1: 'FR', country_c4: 'FR' })

    const again = await post()
    expect(again.body.equals(first.body)).toBe(true)
    expect(await withDb(async (c) => Number((await c.query('SELECT count(*) FROM as4_received WHERE message_id = $1', [m.messageId])).rows[0].count))).toBe(1)

    const doc = await waitForStatus(row.document_id, ['MISE_A_DISPOSITION', 'REJETEE', 'ECHEC_DISTRIBUTION'], 90_000, hub().adminKey)
    expect(doc.status).toBe('MISE_A_DISPOSITION')
    const delivered = await readdir(inbox)
    expect(delivered.length).toBe(1)
    expect((await readFile(join(inbox, delivered[0]!), 'utf8'))).toContain(recipient.value.slice(5))
  })

  it('refuses, with the ebMS error a sender can act on: a recipient not served here, an untrusted sender, an inconsistent envelope', async () => {
    const invoice = await fixture('ubl-invoice.xml')
    const expectError = async (m: UserMessage, code: string, text: string, from = pki.peer, body = invoice) => {
      const { built, post } = await send(m, body, from)
      const { body: signal } = await post()
      const answer = readAnswer(signal, { messageId: m.messageId, references: built.references }, pki.ap.certificate.der)
      // What a sending MSH reads by machine: PEPPOL:NOT_SERVICED alone in eb:ErrorDetail (Peppol AS4 profile 2.0 §4.4).
      if (code === 'EBMS:0004') expect(signal.toString('utf8')).toContain('<eb:ErrorDetail>PEPPOL:NOT_SERVICED</eb:ErrorDetail>')
      expect(answer).toMatchObject({ kind: 'error', errors: [{ code, shortDescription: expect.any(String), detail: expect.stringContaining(text) }] })
      if (answer.kind === 'error') expect(`${answer.errors[0]!.shortDescription} ${answer.errors[0]!.detail}`).toContain(text)
      expect(await withDb(async (c) => (await c.query('SELECT 1 FROM as4_received WHERE message_id = $1', [m.messageId])).rows.length)).toBe(0)
    }
    await expectError(message({ finalRecipient: { scheme: 'iso6523-actorid-upis', value: `0009:${randomSiret()}` } }), 'EBMS:0004', 'does not receive through this access point')
    // A participant the directory marks as on the Peppol network receives elsewhere, not here.
    const elsewhere = `0009:${randomSiret()}`
    expect((await registerParticipant(elsewhere, 'peppol:')).status).toBeLessThan(300)
    await expectError(message({ finalRecipient: { scheme: 'iso6523-actorid-upis', value: elsewhere } }), 'EBMS:0004', 'does not receive through this access point')
    // A document type or process other than those the hub's SMP publishes is not served either (Peppol AS4 §4.4).
    const xrechnung = documentTypeId('ubl-invoice', 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0')
    await expectError(message({ documentType: xrechnung }), 'EBMS:0004', 'does not receive the document type')
    await expectError(message({ process: processId('urn:fdc:peppol.eu:2017:poacc:selfbilling:01:1.0') }), 'EBMS:0004', 'does not receive for the process')
    await expectError(message({ from: stranger.peer.name }), 'EBMS:0101', 'not trusted', stranger.peer)
    await expectError(message({ to: 'POP999999' }), 'EBMS:0003', 'not to this access point')
  })

  it('corner 2: the forwarder\'s Peppol channel finds the receiver in its SMP, sends, and keeps the signed receipt; the receiver\'s pipeline takes the document', async () => {
    const siret = randomSiret()
    const folder = await dropFolder()
    expect((await registerParticipant(`0009:${siret}`, folder.endpoint)).status).toBeLessThan(300)
    // A Peppol BIS Billing 3.0 invoice: its CustomizationID and ProfileID make the document type and process ids.
    const invoice = Buffer.from(withBuyerAddress(await fixture('ubl-invoice.xml'), '21750001600019', siret).toString('utf8')
      .replace(/<cbc:CustomizationID>[^<]*<\/cbc:CustomizationID>/, `<cbc:CustomizationID>${PEPPOL_BIS_BILLING}</cbc:CustomizationID><cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>`))
    // The sending hub's own record of the document (as4_sent refers to it).
    const documentId = randomUUID()
    await withDb((c) => c.query(`INSERT INTO documents (id, partner_id, content_type, payload, size_bytes, sha256) SELECT $1, id, 'application/xml', $2, $3, $4 FROM partners WHERE name = 'demo'`,
      [documentId, invoice, invoice.length, createHash('sha256').update(invoice).digest('hex')]))

    const peer = peppolIdentityFromConfig(loadConfig(settings(pki.peer.name)))!
    const smp = createSmpClient({ smlZone: 'unused.test', smpUrl, resolveNaptr: async () => [], trust: (der) => { const c = checkChain(der, peer.smpCAs); return c.ok ? { ok: true } : { ok: false, reason: c.message } } })
    const channel = peppolChannel({ db, peppol: peer, smp, http: { timeoutMs: 15_000, allowedHosts: ['127.0.0.1'] } })
    const outcome = await channel(new URL('peppol:'), { documentId, contentType: 'application/xml', bytes: invoice })
    expect(outcome).toMatchObject({ outcome: 'delivered', detail: expect.stringContaining(`from ${pki.ap.name}`) })
    const sent = await withDb(async (c) => (await c.query('SELECT message_id, to_seat, receipt, original_sender, final_recipient, country_c1, country_c4 FROM as4_sent WHERE document_id = $1', [documentId])).rows[0])
    expect(sent).toMatchObject({ message_id: `${documentId}@facteur`, to_seat: pki.ap.name, original_sender: '0009:73282932000074', final_recipient: `0009:${siret}`, country_c1: 'FR', country_c4: 'FR' })
    expect(sent.receipt.toString()).toContain('NonRepudiationInformation')
    const received = await withDb(async (c) => (await c.query('SELECT document_id FROM as4_received WHERE message_id = $1', [`${documentId}@facteur`])).rows[0])
    expect(received).toBeDefined()
    // A retry of the same delivery repeats the MessageId: the receiver answers its first receipt, processes nothing new.
    expect(await channel(new URL('peppol:'), { documentId, contentType: 'application/xml', bytes: invoice })).toMatchObject({ outcome: 'delivered' })
    expect(await withDb(async (c) => Number((await c.query('SELECT count(*) FROM as4_received WHERE message_id = $1', [`${documentId}@facteur`])).rows[0].count))).toBe(1)
    const doc = await waitForStatus(received.document_id, ['MISE_A_DISPOSITION', 'REJETEE', 'ECHEC_DISTRIBUTION'], 90_000, hub().adminKey)
    expect({ status: doc.status, findings: doc.findings?.filter((f: { severity: string }) => f.severity === 'fatal') }).toMatchObject({ status: 'MISE_A_DISPOSITION' })

    // A participant the receiver's SMP does not know fails at once, with the reason.
    const unknown = Buffer.from(invoice.toString('utf8').split(siret).join(randomSiret()))
    expect(await channel(new URL('peppol:'), { documentId, contentType: 'application/xml', bytes: unknown })).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('404') })
  })
})
