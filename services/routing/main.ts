// routing: consumes `document.validated`. A VALID document is looked up in the directory (public structure by
// SIRET, or B2B recipient by electronic address) and checked against the invoices already seen:
//   → `document.routed` (recipient, service, endpoint), or
//   → `document.unroutable` (reasons naming the business term to fix → A_RECYCLER), or
//   → `document.rejected` when it duplicates an invoice already delivered (same seller, number and year), or
//     when the seller is not one the sending partner is bound to (its addresses or the operator's list).
// INVALID documents stop here (status already has their REJETEE).
import { runConsumer, emit, type Emit } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import type { Deps } from '../kit/deps.js'
import { buyerAddress, buyerSiret, resolveRoute, senderAllowed } from './resolve-route.js'
import { findRecipient, findStructure, partnerBindings, registerInvoice, sellerKey, senderOf } from './directory.js'

export const startRouting = (deps: Deps) => runConsumer(deps, {
  name: 'routing',
  consumes: ['validated'],
  async handle(event, { log }): Promise<Emit[]> {
    if (event.verdict !== 'VALID') return []
    const { keys } = event
    const base = { documentId: event.documentId, partnerId: event.partnerId }
    const notAuthorised = senderAllowed(keys, await partnerBindings(deps.db, event.partnerId))
    if (notAuthorised) {
      log.info({ reason: notAuthorised }, 'sender not authorised for this seller')
      return [emit('rejected', {
        ...base, eventId: `${event.documentId}:rejected`, stage: 'routing', rejectedAt: Date.now(),
        findings: [{ ruleId: 'FACTEUR-SENDER-NOT-AUTHORISED', severity: 'fatal', location: notAuthorised.field, pack: null, line: null, message: notAuthorised.message }],
      })]
    }
    const route = resolveRoute(keys, {
      structure: await findStructure(deps.db, buyerSiret(keys)?.siret ?? null),
      recipient: await findRecipient(deps.db, buyerAddress(keys)),
    }, { peppol: Boolean(deps.config.peppolSeatId) })
    const year = Number(keys.issueDate.slice(0, 4)) || 0
    const registration = await registerInvoice(deps.db, event.documentId, { seller: sellerKey(keys, event.partnerId), number: keys.invoiceNumber.trim(), year }, route.ok)
    if (registration.outcome === 'duplicate') {
      log.info({ duplicateOf: registration.of, invoiceNumber: keys.invoiceNumber }, 'duplicate')
      // Another partner bound to the same seller may have sent the first one: its id is not this sender's to see.
      const earlier = (await senderOf(deps.db, registration.of)) === event.partnerId ? ` as document ${registration.of}` : ''
      return [emit('rejected', {
        ...base, eventId: `${event.documentId}:rejected`, stage: 'routing', rejectedAt: Date.now(),
        findings: [{ ruleId: 'FACTEUR-DUPLICATE', severity: 'fatal', location: '/', pack: null, line: null,
          message: `invoice number ${keys.invoiceNumber} (BT-1) of ${year} from this seller was already delivered${earlier}; a corrected invoice needs a new number, or a credit note` }],
      })]
    }
    if (!route.ok) {
      log.info({ reasons: route.reasons, resubmissionOf: registration.resubmissionOf }, 'unroutable')
      return [emit('unroutable', { ...base, eventId: `${event.documentId}:unroutable`, reasons: route.reasons, at: Date.now(), resubmissionOf: registration.resubmissionOf })]
    }
    log.info({ recipient: route.recipient.address, serviceCode: route.recipient.serviceCode, resubmissionOf: registration.resubmissionOf }, 'routed')
    return [emit('routed', {
      ...base, eventId: `${event.documentId}:routed`, recipientAddress: route.recipient.address, recipientName: route.recipient.name,
      endpoint: route.recipient.endpoint, serviceCode: route.recipient.serviceCode, resubmissionOf: registration.resubmissionOf, routedAt: Date.now(),
      deliveryFormat: route.recipient.format ?? 'original',
    })]
  },
})

if (isEntryPoint(import.meta.url)) await runServiceMain('routing', startRouting)
