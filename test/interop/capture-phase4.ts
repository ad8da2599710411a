// Captures real phase4 4.4.1 messages for the Peppol unit tests (services/peppol/phase4-captured.test.ts), so that
// those run on what the reference implementation puts on the wire without a JVM: a user message phase4 sends to
// Facteur's POP000001, and what phase4's receiver answers Facteur (a receipt, a duplicate notice, an error).
// Run by hand when phase4 or the profile changes:  npx tsx test/interop/capture-phase4.ts services/peppol/testdata/phase4
// The PKI is a fresh dev PKI (no one trusts it); its AP CA, the two AP certificates and POP000001's key (needed to
// decrypt what phase4 sent) are written beside the captures.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { createDevPki, writeDevPki } from '../../services/peppol/pki.js'
import { wrap } from '../../services/peppol/sbdh.js'
import { buildUserMessage, newMessageId } from '../../services/peppol/as4-message.js'
import { readUserMessage, receiptXml } from '../../services/peppol/as4-inbound.js'
import { PARTICIPANT_SCHEME, documentTypeId, processId } from '../../services/peppol/identifiers.js'
import { buildMultipart, parseMultipart } from '../../services/peppol/mime.js'
import { devPkiIdentity, phase4Send, startPhase4Receiver } from '../phase4.js'

const out = resolve(process.argv[2] ?? 'services/peppol/testdata/phase4')
mkdirSync(out, { recursive: true })
const work = mkdtempSync(join(tmpdir(), 'facteur-capture-'))
const keys = await createDevPki()
const pki = writeDevPki(keys, join(work, 'pki'))
const documentType = documentTypeId('ubl-invoice', 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0')
const process_ = processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0')
const sender = { scheme: PARTICIPANT_SCHEME, value: '0009:73282932000074' }
const receiver = { scheme: PARTICIPANT_SCHEME, value: '0009:11000201100044' }
const invoice = readFileSync(new URL('../fixtures/ubl-invoice.xml', import.meta.url))
const sbdh = Buffer.from(wrap({ sender, receiver, documentType, process: process_, countryC1: 'FR', instanceId: randomUUID(), createdAt: new Date() }, invoice))
const capturedAt = new Date()
const write = (name: string, data: string | Buffer) => writeFileSync(join(out, name), data)

// 1. phase4 → Facteur: what phase4 sends, kept as it arrives (Facteur answers its receipt, so phase4 is content).
const own = { key: keys.ap.privateKey, certificate: keys.ap.certificate.der, seatId: keys.ap.name }
let captured: { contentType: string; body: Buffer } | undefined
const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    captured = { contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) }
    void readUserMessage(captured.contentType, captured.body, { own, trust: () => ({ ok: true }), maxPayloadBytes: 1 << 24 }).then((received) => {
      res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(received.ok ? receiptXml(received, own) : '')
    })
  })
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const sent = await phase4Send({ ...devPkiIdentity(pki, keys.peer.name), url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/as4`, receiverCert: pki.entries[keys.ap.name]!.cert, sbdh, senderSeat: keys.peer.name, dir: join(work, 'send') })
server.close()
if (!sent.ok || !captured) throw new Error(`phase4 did not send: ${sent.outcome.error} (${sent.log})`)
write('phase4-user-message.body', captured.body)
write('phase4-user-message.json', JSON.stringify({ contentType: captured.contentType, messageId: sent.outcome.messageId, from: keys.peer.name, to: keys.ap.name }, null, 2))

// 2. Facteur → phase4: phase4's receipt, its duplicate notice to the same message, its error for a changed payload.
const receiverNode = await startPhase4Receiver({ ...devPkiIdentity(pki, keys.peer.name), seat: keys.peer.name, dir: join(work, 'receiver') })
try {
  const message = (messageId: string) => buildUserMessage({ messageId, conversationId: randomUUID(), timestamp: new Date(), from: keys.ap.name, to: keys.peer.name, process: process_, documentType, originalSender: sender, finalRecipient: receiver },
    sbdh, { key: keys.ap.privateKey, certificate: keys.ap.certificate.der }, keys.peer.certificate.der)
  const post = async (m: { contentType: string; body: Buffer }) => Buffer.from(await (await fetch(receiverNode.url, { method: 'POST', headers: { 'content-type': m.contentType, 'mime-version': '1.0' }, body: m.body })).arrayBuffer())
  const messageId = newMessageId()
  const built = await message(messageId)
  write('phase4-receipt.xml', await post(built))
  write('phase4-duplicate-notice.xml', await post(built))
  // Another message, its attachment changed after it was signed and encrypted.
  const tamperedId = newMessageId()
  const other = await message(tamperedId)
  const parts = parseMultipart(other.contentType, other.body)
  if (!parts.ok) throw new Error(parts.reason)
  const header = (p: { headers: Record<string, string> }) => Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k.replace(/(^|-)\w/g, (c) => c.toUpperCase()), v]))
  const changed = Buffer.from(parts.attachments[0]!.body)
  changed[changed.length - 20]! ^= 1
  write('phase4-error-tampered.xml', await post(buildMultipart([{ headers: header(parts.root), body: parts.root.body }, { headers: header(parts.attachments[0]!), body: changed }])))
  write('facteur-message.json', JSON.stringify({ messageId, references: built.references.map((r) => ({ uri: r.uri, digest: r.digest.toString('base64') })), tamperedMessageId: tamperedId }, null, 2))
} finally {
  await receiverNode.stop()
}

write('ap-ca.pem', readFileSync(pki.apCa))
write(`${keys.ap.name}.pem`, readFileSync(pki.entries[keys.ap.name]!.cert))
write(`${keys.ap.name}.key.pem`, readFileSync(pki.entries[keys.ap.name]!.key))
write(`${keys.peer.name}.pem`, readFileSync(pki.entries[keys.peer.name]!.cert))
write('captured.json', JSON.stringify({ capturedAt: capturedAt.toISOString(), phase4: '4.4.1', sbdhSha256: (await import('node:crypto')).createHash('sha256').update(sbdh).digest('hex') }, null, 2))
rmSync(work, { recursive: true, force: true })
process.stdout.write(`captured into ${out}\n`)
