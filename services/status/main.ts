// status: consumes every stage's outcome (and every dead-letter topic, each letter kept in table dead_letters),
// keeps each document's append-only, hash-chained lifecycle in PostgreSQL and queues every change for
// `document.status`, the auditors' stream (through the outbox, like the business statuses the gateway records).
import { runConsumer, emit, combined, isInfraError, type Running } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import type { Deps } from '../kit/deps.js'
import type { EventOf } from '../../schemas/events.js'
import { rejectionReason, type Change } from './lifecycle.js'
import { applyChange, applyChanges, type Facts } from './store.js'
import { buildReceipt } from './receipts.js'
import { receiptContext, storeReceipt } from './receipts-store.js'
import { documentExists, recordDeadLetter } from './dead-letters.js'
import { topics, topicName, type TopicKey } from '../../schemas/topics.js'

type Watched = 'received' | 'rejected' | 'validated' | 'routed' | 'unroutable' | 'delivery'

/** The lifecycle change and the document facts one event brings (pure). */
export function changeFor(topic: Watched, event: EventOf[Watched]): { change: Change | null; facts: Facts } {
  const now = Date.now()
  switch (topic) {
    case 'received': {
      const e = event as EventOf['received']
      return { change: { status: 'DEPOSEE', reason: null, findings: [], at: e.receivedAt }, facts: {} }
    }
    case 'rejected': {
      const e = event as EventOf['rejected']
      return { change: { status: 'REJETEE', reason: rejectionReason(e.stage, e.findings), findings: e.findings, at: e.rejectedAt }, facts: { findings: e.findings } }
    }
    case 'validated': {
      const e = event as EventOf['validated']
      const facts = { syntax: e.syntax, keys: e.keys, findings: e.findings }
      if (e.verdict === 'VALID') return { change: null, facts }
      return { change: { status: 'REJETEE', reason: rejectionReason('validation', e.findings), findings: e.findings, at: e.validatedAt }, facts }
    }
    case 'routed': {
      // No status of its own (delivery brings MISE_A_DISPOSITION): where it goes, and what it resubmits.
      const e = event as EventOf['routed']
      return { change: null, facts: { recipientAddress: e.recipientAddress, serviceCode: e.serviceCode ?? null, resubmissionOf: e.resubmissionOf ?? null } }
    }
    case 'unroutable': {
      // The reasons also become the status's findings (rule = reason code, location = business term), so the
      // sender's receipt and the document view list each field to correct.
      const e = event as EventOf['unroutable']
      const findings = e.reasons.map((r) => ({ ruleId: r.code, severity: 'fatal' as const, location: r.field, message: r.message, pack: null, line: null }))
      return { change: { status: 'A_RECYCLER', reason: e.reasons.map((r) => `${r.field}: ${r.message}`).join('; '), findings, at: e.at }, facts: { resubmissionOf: e.resubmissionOf ?? null } }
    }
    case 'delivery': {
      const e = event as EventOf['delivery']
      return e.outcome === 'DELIVERED'
        ? { change: { status: 'MISE_A_DISPOSITION', reason: null, findings: [], at: e.at }, facts: {} }
        : { change: { status: 'ECHEC_DISTRIBUTION', reason: deliveryFailedReason(e.attempts), findings: [], at: e.at ?? now }, facts: {} }
    }
  }
}

/**
 * The sender's reason for ECHEC_DISTRIBUTION: neutral. The recipient's endpoint and its answers are the
 * recipient's and the operator's business (delivery_attempts, the admin API), never the sender's.
 */
export const deliveryFailedReason = (attempts: number) =>
  `delivery to the recipient failed after ${attempts} attempt(s); the hub operator can retry it once the recipient's side is fixed`

/** Topics whose consumers are stages of a document's processing: their dead letters make it EN_ERREUR. */
const stageTopics: readonly TopicKey[] = ['received', 'parsed', 'validated', 'routed', 'rejected', 'unroutable', 'delivery']
/** Also recorded, but a receipt or the auditors' stream failing never changes the document's status. */
const sideTopics: readonly TopicKey[] = ['status', 'receipt']

const startLifecycle = (deps: Deps) => runConsumer(deps, {
  name: 'status',
  consumes: ['received', 'rejected', 'validated', 'routed', 'unroutable', 'delivery'],
  async handle(event, { log, topic }) {
    const { change, facts } = changeFor(topic as Watched, event)
    const { rows, ignored } = await applyChange(deps.db, deps.config.topicPrefix, event.documentId, event.eventId, change, facts)
    if (ignored) log.warn({ topic, ignored }, 'status change ignored')
    for (const r of rows) log.info({ status: r.status, sequence: r.sequence, reason: r.reason }, 'status changed')
    return []
  },
  // A run of events in one transaction (store.ts applyChanges): the same rows, a few statements per run
  // instead of several per event.
  async handleRun(events) {
    const items = events.map(({ event, topic, log: eventLog }) => ({ documentId: event.documentId, causeEvent: event.eventId, log: eventLog, ...changeFor(topic as Watched, event) }))
    for (const { item, rows, ignored } of await applyChanges(deps.db, deps.config.topicPrefix, items)) {
      const docLog = (item as (typeof items)[number]).log
      if (ignored) docLog.warn({ ignored }, 'status change ignored')
      for (const r of rows) docLog.info({ status: r.status, sequence: r.sequence, reason: r.reason }, 'status changed')
    }
    return []
  },
  deadLetters: {
    of: [...stageTopics, ...sideTopics],
    async handle(letter, { log }) {
      // Kept for the operator whatever it is (listed and replayed from PostgreSQL), with its event decoded for
      // the replay; a value that is not an event of its topic cannot be replayed as it is (event null).
      let event: unknown = null
      try { event = await deps.codec.decode(letter.topic, letter.value) } catch (error) { if (isInfraError(error)) throw error }
      const recorded = await recordDeadLetter(deps.db, letter, event)
      if (recorded) log.warn({ topic: letter.topic, offset: letter.offset, consumer: letter.consumer, replayable: event !== null }, 'dead letter recorded')
      const stage = stageTopics.some((k) => topicName(deps.config.topicPrefix, topics[k]) === letter.topic)
      if (!letter.documentId || !stage || !(await documentExists(deps.db, letter.documentId))) return []
      const reason = `processing failed in ${letter.consumer} (${letter.topic}) after ${letter.attempts} attempt(s): ${letter.error.split('\n')[0]}`
      const cause = `dlq:${letter.topic}:${letter.partition}:${letter.offset}`
      const { rows, ignored } = await applyChange(deps.db, deps.config.topicPrefix, letter.documentId, cause, { status: 'EN_ERREUR', reason, findings: [], at: letter.failedAt }, {})
      if (ignored) log.info({ ignored }, 'dead letter recorded without status change')
      for (const r of rows) log.info({ status: r.status, sequence: r.sequence, reason: r.reason }, 'status changed')
      return []
    },
  },
})

/**
 * Receipts: every status event of `document.status` (the hub's and the business ones, whoever wrote them)
 * gets the sender its UBL ApplicationResponse, stored for GET /v1/documents/{id}/receipts and, when the
 * sender has an endpoint in the directory, handed to the forwarder (`document.receipt`).
 */
const startReceipts = (deps: Deps) => runConsumer(deps, {
  name: 'receipts',
  consumes: ['status'],
  async handle(event, { log }) {
    const context = await receiptContext(deps.db, event.documentId)
    if (!context) throw new Error(`document ${event.documentId} is not in the document store`)
    const { keys } = context
    const [scheme, ...rest] = deps.config.hubAddress.split(':')
    const receipt = buildReceipt({
      documentId: event.documentId, sequence: event.sequence, status: event.status, code: event.code, at: event.at, reason: event.reason,
      findings: event.status === 'A_RECYCLER' ? [] : event.findings,
      routingReasons: event.status === 'A_RECYCLER' ? event.findings.map((f) => ({ code: f.ruleId, field: f.location, message: f.message })) : [],
      invoice: { number: keys?.invoiceNumber ?? null, issueDate: keys?.issueDate ?? null, typeCode: keys?.typeCode ?? null },
      // The seller's electronic address (BT-34); a document rejected before it was read has none: then the
      // depositing partner's own address, so the response can still be addressed.
      sender: keys?.seller.endpoint
        ? { scheme: keys.seller.endpoint.scheme, value: keys.seller.endpoint.value, name: keys.seller.name ?? context.partnerName }
        : { scheme: context.partnerAddress?.split(':')[0] ?? null, value: context.partnerAddress?.split(':').slice(1).join(':') ?? null, name: keys?.seller.name ?? context.partnerName },
      recipient: { scheme: keys?.buyer.endpoint?.scheme ?? null, value: keys?.buyer.endpoint?.value ?? null, name: keys?.buyer.name ?? null },
      hub: { name: deps.config.hubName, endpoint: { scheme: scheme ?? '', value: rest.join(':') } },
    })
    if (!receipt) return []
    await storeReceipt(deps.db, event.documentId, event.sequence, event.status, receipt, event.at, context.senderEndpoint)
    log.info({ sequence: event.sequence, kind: receipt.kind, responseCode: receipt.responseCode, deliverTo: context.senderEndpoint }, 'receipt issued')
    if (!context.senderEndpoint) return []
    return [emit('receipt', {
      eventId: `${event.documentId}:receipt:${event.sequence}`, documentId: event.documentId, partnerId: context.partnerId, sequence: event.sequence,
      kind: receipt.kind, responseCode: receipt.responseCode, endpoint: context.senderEndpoint, at: Date.now(),
    })]
  },
})

/** The status service: the lifecycle consumer and the receipts consumer. */
export async function startStatus(deps: Deps): Promise<Running> {
  const running = [await startLifecycle(deps), await startReceipts(deps)]
  return combined('status', running)
}

if (isEntryPoint(import.meta.url)) await runServiceMain('status', startStatus)
