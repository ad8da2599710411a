// routing: consumes `document.validated`; a VALID document becomes `document.routed` (recipient and endpoint)
// or `document.unroutable` (reasons naming the business term to fix → A_RECYCLER). INVALID ones stop here.
import { runConsumer, emit, type Emit } from '../kit/run-service.js'
import { runServiceMain, isEntryPoint } from '../kit/service-main.js'
import type { Deps } from '../kit/deps.js'
import { buyerAddress, resolveRoute } from './resolve-route.js'
import { findRecipient } from './directory.js'

export const startRouting = (deps: Deps) => runConsumer(deps, {
  name: 'routing',
  consumes: ['validated'],
  async handle(event, { log }): Promise<Emit[]> {
    if (event.verdict !== 'VALID') return []
    const route = resolveRoute(event.keys, await findRecipient(deps.db, buyerAddress(event.keys)))
    const base = { documentId: event.documentId, partnerId: event.partnerId }
    if (!route.ok) {
      log.info({ reasons: route.reasons }, 'unroutable')
      return [emit('unroutable', { ...base, eventId: `${event.documentId}:unroutable`, reasons: route.reasons, at: Date.now() })]
    }
    log.info({ recipient: route.recipient.address }, 'routed')
    return [emit('routed', {
      ...base, eventId: `${event.documentId}:routed`, recipientAddress: route.recipient.address,
      recipientName: route.recipient.name, endpoint: route.recipient.endpoint, routedAt: Date.now(),
    })]
  },
})

if (isEntryPoint(import.meta.url)) await runServiceMain('routing', startRouting)
