// Peppol delivery (endpoint `peppol:`): the receiver is found by SMP lookup from the invoice's own buyer address,
// the document goes in an SBDH, then in an AS4 user message signed by the hub and encrypted for the receiving
// access point's certificate, and is delivered when that access point's signed receipt verifies (kept in
// as4_sent). The MessageId is derived from the delivery and the message is kept as first built, so every retry
// of one document sends the same message and the receiver can eliminate duplicates. A participant, document type or endpoint that does not exist, or a receiver
// that refuses the message for good, fails at once with the reason; transport and server trouble is retried.
import type { Db } from '../../kit/db.js'
import type { Channel, DeliveryOutcome } from './channel.js'
import { postChecked, type HttpChannelOptions } from './http.js'
import { checkChain, parseCertificate, type PeppolIdentity } from '../../peppol/pki.js'
import type { SmpClient } from '../../peppol/smp-client.js'
import { outboundEnvelope } from '../../peppol/outbound.js'
import { partyCountry, wrap, type Envelope } from '../../peppol/sbdh.js'
import { buildUserMessage } from '../../peppol/as4-message.js'
import { isDuplicateNotice, NOT_SERVICED, readAnswer } from '../../peppol/as4-inbound.js'
import { formatId } from '../../peppol/identifiers.js'

// ebMS errors a retry cannot cure: the receiver does not accept what was sent (its signature, its security
// header, its values), or does not serve the participant, document type or process (EBMS:0004 with the ErrorDetail
// PEPPOL:NOT_SERVICED, Peppol AS4 profile 2.0 §4.4; readAnswer joins eb:Description and eb:ErrorDetail in `detail`).
const permanent = ['EBMS:0001', 'EBMS:0003', 'EBMS:0009', 'EBMS:0101', 'EBMS:0102', 'EBMS:0103']
const cannotBeCured = (e: { code: string; detail: string }) => permanent.includes(e.code) || e.detail.includes(NOT_SERVICED)

export type PeppolChannelOptions = { db: Db; peppol: PeppolIdentity; smp: SmpClient; http: HttpChannelOptions }

export const peppolChannel = (options: PeppolChannelOptions): Channel => async (_endpoint, delivery): Promise<DeliveryOutcome> => {
  // Peppol carries the XML invoice: a Factur-X deposit goes as the CII it embeds (the PDF stays with the hub).
  const invoice = delivery.invoice ?? delivery.bytes
  const read = outboundEnvelope(invoice)
  if (!read.ok) return { outcome: 'failed', detail: `not sendable over Peppol: ${read.reason}` }
  const env = read.envelope
  return sendOverPeppol(options, {
    messageId: `${delivery.name ?? delivery.documentId}@facteur`, documentId: delivery.documentId, conversationId: delivery.documentId,
    envelope: env, payload: invoice, countryC4: partyCountry(invoice, env.syntax, 'buyer'),
  })
}

/**
 * One business document to send over Peppol. `documentId`: the hub's document it is (null for what the hub itself
 * sends, such as its monthly reports). `messageId` must be the same at every attempt (duplicate elimination).
 */
export type PeppolSending = {
  messageId: string
  documentId: string | null
  conversationId: string
  /** `createdAt`: the SBDH's CreationDateAndTime (default: when the message is first built). */
  envelope: Pick<Envelope, 'sender' | 'receiver' | 'documentType' | 'process' | 'countryC1'> & { createdAt?: Date }
  payload: Buffer
  /** C4's country, for the monthly reports (null: unknown). */
  countryC4: string | null
}

/**
 * Finds the receiver by SMP, checks its access point's certificate, sends the SBDH-wrapped payload in one AS4
 * message (kept in as4_sent, so that every retry sends the same bytes) and keeps the verified receipt.
 */
export async function sendOverPeppol({ db, peppol, smp, http }: PeppolChannelOptions, sending: PeppolSending): Promise<DeliveryOutcome> {
  const { messageId, envelope: env } = sending
  const found = await smp.lookup(env.receiver, env.documentType, env.process)
  if (!found.ok) return { outcome: found.permanent ? 'failed' : 'retry-later', detail: `SMP lookup of ${formatId(env.receiver)}: ${found.reason}` }
  let receiver
  try { receiver = parseCertificate(found.endpoint.certificate) } catch { return { outcome: 'failed', detail: `the SMP gives an unreadable certificate for ${formatId(env.receiver)}` } }
  const chained = checkChain(receiver, peppol.apCAs, new Date(), { usage: 'ap' })
  if (!chained.ok) return { outcome: 'failed', detail: `the receiving access point's certificate (${receiver.subject}) is not trusted: ${chained.message}` }
  const seat = receiver.subjectCN
  if (!seat) return { outcome: 'failed', detail: `the receiving access point's certificate has no CN (its seat id): ${receiver.subject}` }

  const message = await sameMessageAsBefore(db, messageId, receiver.der) ?? await (async () => {
    const sbdh = Buffer.from(wrap({ ...env, instanceId: messageId, createdAt: env.createdAt ?? new Date() }, sending.payload))
    const built = await buildUserMessage({
      messageId, conversationId: sending.conversationId, timestamp: new Date(), from: peppol.seatId, to: seat,
      process: env.process, documentType: env.documentType, originalSender: env.sender, finalRecipient: env.receiver,
    }, sbdh, { key: peppol.identity.privateKey, certificate: peppol.identity.certificate.der }, receiver.der)
    const refs = built.references.map((r) => ({ uri: r.uri, digest: r.digest.toString('base64') }))
    // Kept before it is sent: a retry after a crash mid-attempt sends these same bytes.
    await db.query(`INSERT INTO as4_sent (message_id, document_id, to_seat, endpoint, receiver_cert, content_type, message, signed_refs,
        document_type, process, original_sender, final_recipient, country_c1, country_c4) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
      ON CONFLICT (message_id) DO UPDATE SET to_seat = EXCLUDED.to_seat, endpoint = EXCLUDED.endpoint, receiver_cert = EXCLUDED.receiver_cert,
        content_type = EXCLUDED.content_type, message = EXCLUDED.message, signed_refs = EXCLUDED.signed_refs, built_at = now()`,
    [messageId, sending.documentId, seat, found.endpoint.address, receiver.der, built.contentType, built.body, JSON.stringify(refs),
      env.documentType.value, env.process.value, env.sender.value.toLowerCase(), env.receiver.value.toLowerCase(), env.countryC1, sending.countryC4])
    return { contentType: built.contentType, body: built.body, references: built.references }
  })()

  const posted = await postChecked(new URL(found.endpoint.address), { headers: { 'content-type': message.contentType, 'mime-version': '1.0' }, body: message.body }, { ...http, maxResponseBytes: 1024 * 1024 })
  if (!posted.ok) return { outcome: posted.outcome, detail: `AS4 to ${found.endpoint.address}: ${posted.detail}` }
  const answer = readAnswer(posted.body, { messageId, references: message.references }, receiver.der)
  if (answer.kind === 'receipt') {
    await db.query('UPDATE as4_sent SET receipt = $2, receipt_at = now() WHERE message_id = $1', [messageId, posted.body])
    return { outcome: 'delivered', detail: `AS4 receipt ${answer.messageId} from ${seat} for ${messageId}` }
  }
  if (isDuplicateNotice(answer, messageId)) {
    // The signed notice is the receiver's word that it has this message: kept where the receipt would be.
    await db.query('UPDATE as4_sent SET receipt = $2, receipt_at = now() WHERE message_id = $1', [messageId, posted.body])
    return { outcome: 'delivered', detail: `${seat} already has ${messageId} (an earlier attempt got through, its receipt was lost); its signed duplicate notice is kept` }
  }
  if (answer.kind === 'error') {
    const described = answer.errors.map((e) => `${e.code} ${e.shortDescription}: ${e.detail}`).join('; ')
    const giveUp = answer.errors.some(cannotBeCured)
    return { outcome: giveUp ? 'failed' : 'retry-later', detail: `${seat} refused the AS4 message: ${described}` }
  }
  return { outcome: 'retry-later', detail: `AS4 to ${found.endpoint.address}: HTTP ${posted.status}, ${answer.reason}` }
}

/** The message built at an earlier attempt, when it was built for the same receiving certificate. */
async function sameMessageAsBefore(db: Db, messageId: string, receiverCert: Buffer) {
  const row = (await db.query<{ receiver_cert: Buffer; content_type: string; message: Buffer; signed_refs: { uri: string; digest: string }[] }>(
    'SELECT receiver_cert, content_type, message, signed_refs FROM as4_sent WHERE message_id = $1', [messageId])).rows[0]
  if (!row || !row.receiver_cert.equals(receiverCert)) return null
  return { contentType: row.content_type, body: row.message, references: row.signed_refs.map((r) => ({ uri: r.uri, digest: Buffer.from(r.digest, 'base64') })) }
}
