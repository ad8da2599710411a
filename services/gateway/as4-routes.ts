// Corner 3: `POST /as4`, where other Peppol access points push user messages. The message is checked
// (services/peppol/as4-inbound.ts), its SBDH read, its final recipient must receive through this hub; then the
// document, its `received` event and the receipt are stored in one transaction, and only then is the signed
// receipt answered: nothing is acknowledged before it is durable. A MessageId seen before is answered with the
// receipt it got the first time, and not processed again. Every refusal is a signed ebMS error signal.
import express, { type Express } from 'express'
import { randomUUID } from 'node:crypto'
import type { Config } from '../kit/config.js'
import { inTransaction, type Db } from '../kit/db.js'
import type { Logger } from '../kit/log.js'
import { enqueue } from '../kit/outbox.js'
import { continueTrace, formatTraceparent, TRACEPARENT } from '../kit/trace.js'
import { checkChain, type PeppolIdentity } from '../peppol/pki.js'
import { ebmsErrors, errorXml, NOT_SERVICED, readUserMessage, receiptXml, type EbmsError } from '../peppol/as4-inbound.js'
import { partyCountry, unwrap } from '../peppol/sbdh.js'
import { formatId, sameParticipant } from '../peppol/identifiers.js'
import { BILLING_PROCESS, receivedDocumentTypes, receivesHere } from '../peppol/smp-publisher.js'
import { checkDeposit } from './deposit.js'

const SOAP = 'application/soap+xml; charset=utf-8'

export function as4Routes(app: Express, { config, db, log, peppol }: { config: Config; db: Db; log: Logger; peppol: PeppolIdentity }) {
  const own = { key: peppol.identity.privateKey, certificate: peppol.identity.certificate.der, seatId: peppol.seatId }
  const trust = (der: Buffer) => {
    const checked = checkChain(der, peppol.apCAs, new Date(), { usage: 'ap' })
    return checked.ok ? { ok: true as const } : { ok: false as const, reason: `${checked.reason}: ${checked.message}` }
  }
  // The SBDH around the document, and AS4's own overhead, on top of the largest document the hub accepts.
  const maxPayloadBytes = config.maxDocumentBytes + 256 * 1024

  app.post('/as4', express.raw({ type: () => true, limit: maxPayloadBytes + 256 * 1024 }), async (req, res) => {
    const refuse = (error: EbmsError) => {
      log.info({ code: error.code, detail: error.description ?? error.detail, messageId: error.refToMessageId }, 'AS4 message refused')
      res.status(200).type(SOAP).send(errorXml(error, own))
    }
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
    const received = await readUserMessage(req.get('content-type') ?? '', body, { own, trust, maxPayloadBytes })
    if (!received.ok) return refuse(received.error)
    const m = received.message
    const error = (code: string, shortDescription: string, detail: string, description?: string): EbmsError => ({ code, shortDescription, detail, description, refToMessageId: m.messageId })

    const previous = (await db.query<{ receipt: string; from_seat: string }>('SELECT receipt, from_seat FROM as4_received WHERE message_id = $1', [m.messageId])).rows[0]
    if (previous) {
      if (previous.from_seat !== m.from) return refuse(error(ebmsErrors.other, 'Other', `MessageId ${m.messageId} was already used by another access point`))
      log.info({ messageId: m.messageId, from: m.from }, 'AS4 duplicate answered with its first receipt')
      return res.status(200).type(SOAP).send(previous.receipt)
    }

    const business = unwrap(received.sbdh)
    if (!business.ok) return refuse(error(ebmsErrors.other, 'Other', `the SBDH: ${business.reason}`))
    const env = business.envelope
    const mismatch = !sameParticipant(env.sender, m.originalSender) ? `the SBDH sender ${env.sender.value} is not the originalSender ${m.originalSender.value}`
      : !sameParticipant(env.receiver, m.finalRecipient) ? `the SBDH receiver ${env.receiver.value} is not the finalRecipient ${m.finalRecipient.value}`
        : env.documentType.value !== m.documentType.value ? `the SBDH DOCUMENTID ${env.documentType.value} is not the eb:Action's ${m.documentType.value}`
          : env.process.value !== m.process.value ? `the SBDH PROCESSID ${env.process.value} is not the eb:Service ${m.process.value}` : null
    if (mismatch) return refuse(error(ebmsErrors.valueInconsistent, 'ValueInconsistent', mismatch))

    // Peppol AS4 profile 2.0 §4.4: a receiver that does not serve the final recipient, or not for this document type
    // and process, answers EBMS:0004 with the ErrorDetail PEPPOL:NOT_SERVICED. What is served is what the hub's SMP publishes.
    const notServiced = (why: string) => refuse(error(ebmsErrors.other, 'Other', NOT_SERVICED, `${NOT_SERVICED}: ${why}`))
    if (!receivedDocumentTypes.some((d) => d.value === m.documentType.value)) return notServiced(`this access point does not receive the document type ${formatId(m.documentType)}`)
    if (m.process.value !== BILLING_PROCESS.value) return notServiced(`this access point does not receive for the process ${formatId(m.process)}`)
    if (!(await receivesHere(db, m.finalRecipient))) return notServiced(`${formatId(m.finalRecipient)} does not receive through this access point`)
    const deposit = checkDeposit(business.document, { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth })
    if (!deposit.ok) return refuse(error(ebmsErrors.other, 'Other', `the business document: ${deposit.problem.detail}`))

    const receipt = receiptXml(received, own)
    const trace = continueTrace(undefined)
    const traceparent = formatTraceparent(trace)
    const stored = await inTransaction(db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`as4/${m.messageId}`])
      const again = (await tx.query<{ receipt: string }>('SELECT receipt FROM as4_received WHERE message_id = $1', [m.messageId])).rows[0]
      if (again) return { receipt: again.receipt, documentId: null }
      const partner = (await tx.query<{ id: string }>(
        `INSERT INTO partners (name, role) VALUES ($1, 'partner') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`, [`peppol:${m.from}`])).rows[0]!
      await tx.query('INSERT INTO partner_sellers (partner_id, seller) VALUES ($1, $2) ON CONFLICT DO NOTHING', [partner.id, m.originalSender.value.toLowerCase()])
      const id = randomUUID()
      const receivedAt = new Date()
      await tx.query(
        `INSERT INTO documents (id, partner_id, idempotency_key, content_type, payload, size_bytes, sha256, received_at, status_at, traceparent)
         VALUES ($1, $2, $3, 'application/xml', $4, $5, $6, $7, $7, $8)`,
        [id, partner.id, m.messageId, business.document, deposit.sizeBytes, deposit.sha256, receivedAt, traceparent])
      await enqueue(tx, config.topicPrefix, 'received', {
        eventId: `${id}:received`, documentId: id, partnerId: partner.id, contentType: 'application/xml',
        sizeBytes: deposit.sizeBytes, sha256: deposit.sha256, receivedAt: receivedAt.getTime(),
      }, { [TRACEPARENT]: traceparent })
      await tx.query(`INSERT INTO as4_received (message_id, from_seat, document_id, receipt, sender_cert, message, document_type, process, original_sender, final_recipient, country_c1, country_c4)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [m.messageId, m.from, id, receipt, received.senderCertificate, body, m.documentType.value, m.process.value, m.originalSender.value.toLowerCase(),
        m.finalRecipient.value.toLowerCase(), env.countryC1, partyCountry(business.document, business.syntax, 'buyer')])
      return { receipt, documentId: id }
    })
    log.info({ messageId: m.messageId, from: m.from, documentId: stored.documentId, finalRecipient: m.finalRecipient.value }, stored.documentId ? 'AS4 message accepted' : 'AS4 duplicate answered with its first receipt')
    res.status(200).type(SOAP).send(stored.receipt)
  })
}
