// forwarder: consumes `document.routed`, delivers the original bytes to the recipient's endpoint (file: drop
// folder or HTTP POST) with retries and back-off, and produces `document.delivery` (DELIVERED | FAILED).
// A document given up on also goes to `document.routed.dlq`, so an operator can replay it once fixed.
import { setTimeout as sleep } from 'node:timers/promises'
import { runConsumer, emit, combined, type Running } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import type { Deps } from '../kit/deps.js'
import { deliver, type Channels } from './deliver.js'
import { httpChannel } from './channels/http.js'
import { dropFolderChannel } from './channels/drop-folder.js'
import { loadReceipt, recordAttempt, recordReceiptDelivery } from './store.js'
import { loadDocument } from '../kit/claim-check.js'

const startDocuments = (deps: Deps, channels: Channels) => {
  return runConsumer(deps, {
    name: 'forwarder',
    consumes: ['routed'],
    async handle(event, { log, deadLetter }) {
      const delivery = { documentId: event.documentId, ...(await loadDocument(deps.db, event.documentId)) }
      const final = await deliver({
        endpoint: event.endpoint, delivery, channels, sleep,
        attempts: deps.config.deliveryAttempts, backoffMs: deps.config.deliveryBackoffMs,
        onAttempt: async (a) => {
          log[a.outcome === 'delivered' ? 'info' : 'warn']({ endpoint: event.endpoint, ...a }, 'delivery attempt')
          await recordAttempt(deps.db, event.documentId, event.endpoint, a)
        },
      })
      if (final.outcome === 'FAILED') await deadLetter(`delivery to ${event.endpoint} failed: ${final.detail}`)
      return [emit('delivery', {
        eventId: `${event.documentId}:delivery`, documentId: event.documentId, partnerId: event.partnerId,
        outcome: final.outcome, endpoint: event.endpoint, attempts: final.attempts, detail: final.detail, at: Date.now(),
      })]
    },
  })
}

/**
 * Receipts to senders that have an endpoint (`document.receipt`): same channels and retries as documents; the
 * outcome is recorded on the receipt (a receipt that cannot be delivered stays available through the API and
 * never changes the document's status).
 */
const startReceipts = (deps: Deps, channels: Channels) => {
  return runConsumer(deps, {
    name: 'forwarder-receipts',
    consumes: ['receipt'],
    async handle(event, { log }) {
      const xml = await loadReceipt(deps.db, event.documentId, event.sequence)
      const delivery = { documentId: event.documentId, name: `${event.documentId}.receipt-${event.sequence}`, contentType: 'application/xml', bytes: Buffer.from(xml, 'utf8') }
      const final = await deliver({
        endpoint: event.endpoint, delivery, channels, sleep,
        attempts: deps.config.deliveryAttempts, backoffMs: deps.config.deliveryBackoffMs,
        onAttempt: async (a) => { log[a.outcome === 'delivered' ? 'info' : 'warn']({ endpoint: event.endpoint, receipt: event.sequence, ...a }, 'receipt delivery attempt') },
      })
      await recordReceiptDelivery(deps.db, event.documentId, event.sequence, { delivered: final.outcome === 'DELIVERED', attempts: final.attempts, detail: final.detail })
      return []
    },
  })
}

/** The forwarder: documents to recipients, receipts to senders. */
export async function startForwarder(deps: Deps): Promise<Running> {
  const channels = { http: httpChannel(deps.config.deliveryTimeoutMs), file: dropFolderChannel }
  const running = [await startDocuments(deps, channels), await startReceipts(deps, channels)]
  return combined('forwarder', running)
}

if (isEntryPoint(import.meta.url)) await runServiceMain('forwarder', startForwarder)
