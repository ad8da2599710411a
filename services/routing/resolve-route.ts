// Where a valid document goes. B2B (and, for now, B2G) recipients are addressed by the buyer's electronic
// address BT-49 (scheme BT-49-1), looked up in the directory. The Chorus Pro rules on SIRET, service code and
// commitment number come with the B2G routing work (issue 5).
import type { DocumentKeys, RoutingReason } from '../../schemas/events.js'

export type Recipient = { address: string; name: string; endpoint: string }

export type Route = { ok: true; recipient: Recipient } | { ok: false; reasons: RoutingReason[] }

/** The directory key of the buyer: `scheme:value` in lower case (Peppol identifiers are case-insensitive). */
export function buyerAddress(keys: DocumentKeys): string | null {
  const endpoint = keys.buyer.endpoint
  if (!endpoint || !endpoint.scheme || endpoint.value.trim() === '') return null
  return `${endpoint.scheme.trim()}:${endpoint.value.trim()}`.toLowerCase()
}

export function resolveRoute(keys: DocumentKeys, recipient: Recipient | null): Route {
  const address = buyerAddress(keys)
  if (!address) {
    return { ok: false, reasons: [{ code: 'BUYER_ADDRESS_MISSING', field: 'BT-49', message: 'the buyer electronic address (BT-49) with its scheme (BT-49-1) is required to route the document' }] }
  }
  if (!recipient) {
    return { ok: false, reasons: [{ code: 'RECIPIENT_UNKNOWN', field: 'BT-49', message: `no recipient is registered in the directory at ${address}; correct the buyer electronic address and resubmit` }] }
  }
  return { ok: true, recipient }
}
