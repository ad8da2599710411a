// AS4 cost per message, in this process (`npm run bench:as4 [-- --messages 100 --rounds 3 --lines 9]`): building a
// Peppol user message (gzip, sign, encrypt, MIME), reading it as corner 3 does (chain check, decrypt, verify every
// reference, gunzip), and the receipt (sign, then verified by the sender). The SBDH wraps a UBL invoice of
// --lines lines (9: about 10 KB). Prints milliseconds per message; not a test.
import { parseArgs } from 'node:util'
import { createDevPki, checkChain } from '../services/peppol/pki.js'
import { buildUserMessage, newMessageId } from '../services/peppol/as4-message.js'
import { readUserMessage, receiptXml, readAnswer } from '../services/peppol/as4-inbound.js'
import { wrap } from '../services/peppol/sbdh.js'
import { documentTypeId, processId, PARTICIPANT_SCHEME } from '../services/peppol/identifiers.js'
import { largeUblInvoice } from '../test/large-invoice.js'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' }, lines: { type: 'string', default: '9' } } })
const N = Number(values.messages)
const pki = await createDevPki()
const documentType = documentTypeId('ubl-invoice', 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0')
const process_ = processId('urn:fdc:peppol.eu:2017:poacc:billing:01:1.0')
const sender = { scheme: PARTICIPANT_SCHEME, value: '0009:73282932000074' }
const receiver = { scheme: PARTICIPANT_SCHEME, value: '0009:11000201100044' }
const sbdh = Buffer.from(wrap({ sender, receiver, documentType, process: process_, countryC1: 'FR', instanceId: 'bench', createdAt: new Date() }, largeUblInvoice(Number(values.lines))))
const trust = (der: Buffer) => { const c = checkChain(der, [pki.apCa.certificate]); return c.ok ? { ok: true as const } : { ok: false as const, reason: c.message } }
const own = { key: pki.peer.privateKey, certificate: pki.peer.certificate.der, seatId: pki.peer.name }

for (let round = 0; round < Number(values.rounds); round++) {
  let build = 0, read = 0, receipt = 0
  for (let i = 0; i < N; i++) {
    const m = { messageId: newMessageId(), conversationId: 'bench', timestamp: new Date(), from: pki.ap.name, to: pki.peer.name, process: process_, documentType, originalSender: sender, finalRecipient: receiver }
    let t = performance.now()
    const built = await buildUserMessage(m, sbdh, { key: pki.ap.privateKey, certificate: pki.ap.certificate.der }, pki.peer.certificate.der)
    build += performance.now() - t; t = performance.now()
    const got = await readUserMessage(built.contentType, built.body, { own, trust, maxPayloadBytes: 10 * 1024 * 1024 })
    read += performance.now() - t; t = performance.now()
    if (!got.ok) throw new Error(`read failed: ${JSON.stringify(got.error)}`)
    const answer = readAnswer(Buffer.from(receiptXml(got, own)), { messageId: m.messageId, references: built.references }, pki.peer.certificate.der)
    receipt += performance.now() - t
    if (answer.kind !== 'receipt') throw new Error(`receipt not verified: ${JSON.stringify(answer)}`)
  }
  console.log(`round ${round + 1}: SBDH ${sbdh.length} B, ${N} messages; ms per message: build ${(build / N).toFixed(2)}, read and verify ${(read / N).toFixed(2)}, receipt sign and verify ${(receipt / N).toFixed(2)}`)
}
