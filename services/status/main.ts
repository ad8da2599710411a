// status: consumes every stage's outcome (and the dead-letter topics), keeps each document's append-only,
// hash-chained lifecycle in PostgreSQL and queues every change for `document.status`, the auditors' stream
// (through the outbox, like the business statuses the gateway records).
import { runConsumer } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import type { Deps } from '../kit/deps.js'
import type { EventOf } from '../../schemas/events.js'
import { rejectionReason, type Change } from './lifecycle.js'
import { applyChange, type Facts } from './store.js'

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
      const e = event as EventOf['unroutable']
      return { change: { status: 'A_RECYCLER', reason: e.reasons.map((r) => `${r.field}: ${r.message}`).join('; '), findings: [], at: e.at }, facts: { resubmissionOf: e.resubmissionOf ?? null } }
    }
    case 'delivery': {
      const e = event as EventOf['delivery']
      return e.outcome === 'DELIVERED'
        ? { change: { status: 'MISE_A_DISPOSITION', reason: null, findings: [], at: e.at }, facts: {} }
        : { change: { status: 'ECHEC_DISTRIBUTION', reason: `delivery to ${e.endpoint} failed after ${e.attempts} attempt(s): ${e.detail ?? ''}`, findings: [], at: e.at ?? now }, facts: {} }
    }
  }
}


export const startStatus = (deps: Deps) => runConsumer(deps, {
  name: 'status',
  consumes: ['received', 'rejected', 'validated', 'routed', 'unroutable', 'delivery'],
  async handle(event, { log, topic }) {
    const { change, facts } = changeFor(topic as Watched, event)
    const { rows, ignored } = await applyChange(deps.db, deps.config.topicPrefix, event.documentId, event.eventId, change, facts)
    if (ignored) log.warn({ topic, ignored }, 'status change ignored')
    for (const r of rows) log.info({ status: r.status, sequence: r.sequence, reason: r.reason }, 'status changed')
    return []
  },
  deadLetters: {
    of: ['received', 'parsed', 'validated', 'routed', 'rejected', 'unroutable', 'delivery'],
    async handle(letter, { log }) {
      // The forwarder parks documents it gave up on; their status (ECHEC_DISTRIBUTION) comes with the delivery result.
      if (!letter.documentId || letter.consumer === 'forwarder') return []
      const reason = `processing failed in ${letter.consumer} (${letter.topic}) after ${letter.attempts} attempt(s): ${letter.error.split('\n')[0]}`
      const cause = `dlq:${letter.topic}:${letter.partition}:${letter.offset}`
      const { rows, ignored } = await applyChange(deps.db, deps.config.topicPrefix, letter.documentId, cause, { status: 'EN_ERREUR', reason, findings: [], at: letter.failedAt }, {})
      if (ignored) log.info({ ignored }, 'dead letter recorded without status change')
      for (const r of rows) log.info({ status: r.status, sequence: r.sequence, reason: r.reason }, 'status changed')
      return []
    },
  },
})

if (isEntryPoint(import.meta.url)) await runServiceMain('status', startStatus)
