// Where a valid document goes, the way Chorus Pro routes it.
// - B2G: the buyer is a public structure of the directory, identified by its SIRET (ICD scheme 0009) in the
//   buyer electronic address (BT-49) or legal registration identifier (BT-47). The structure must be active;
//   the buyer reference (BT-10) names the service ("code service"), required when the structure says so;
//   the purchase order reference (BT-13) carries the commitment number ("numéro d'engagement"), required
//   when the structure or the service says so. Wrong or missing routing data → A_RECYCLER, each reason naming
//   the business term and what the directory expects, so the sender can correct and resubmit.
// - B2B: the buyer's electronic address (BT-49, scheme BT-49-1) is a registered recipient.
import type { DocumentKeys, RoutingReason } from '../../schemas/events.js'

/** `format`: what the recipient asked to receive (the directory's `delivery_format`; absent: the original). */
export type DeliveryFormat = 'original' | 'factur-x'
export type Recipient = { address: string; name: string; endpoint: string; format?: DeliveryFormat }
export type StructureService = { code: string; active: boolean; commitmentRequired: boolean }
export type Structure = {
  siret: string; name: string; active: boolean; commitmentRequired: boolean; serviceRequired: boolean
  endpoint: string | null; services: StructureService[]; format?: DeliveryFormat
}
export type Target = Recipient & { serviceCode: string | null }
export type Route = { ok: true; recipient: Target } | { ok: false; reasons: RoutingReason[] }

/** Documents of a structure without an endpoint wait in the hub for the structure to fetch them. */
export const MAILBOX_ENDPOINT = 'mailbox:'
/** A recipient on the Peppol network: the forwarder finds its access point by SMP lookup (forwarder/channels/peppol.ts). */
export const PEPPOL_ENDPOINT = 'peppol:'

const SIRET_SCHEME = '0009'

/** The directory key of the buyer: `scheme:value` in lower case (Peppol identifiers are case-insensitive). */
export function buyerAddress(keys: DocumentKeys): string | null {
  const endpoint = keys.buyer.endpoint
  if (!endpoint || !endpoint.scheme || endpoint.value.trim() === '') return null
  return `${endpoint.scheme.trim()}:${endpoint.value.trim()}`.toLowerCase()
}

/** The buyer's SIRET and the business term it was read from: BT-49 first (the routing address), then BT-47. */
export function buyerSiret(keys: DocumentKeys): { siret: string; field: 'BT-49' | 'BT-47' } | null {
  const { endpoint, legalId } = keys.buyer
  if (endpoint?.scheme?.trim() === SIRET_SCHEME && endpoint.value.trim()) return { siret: endpoint.value.trim(), field: 'BT-49' }
  if (legalId?.scheme?.trim() === SIRET_SCHEME && legalId.value.trim()) return { siret: legalId.value.trim(), field: 'BT-47' }
  return null
}

const list = (codes: string[]) => codes.length === 0 ? 'none' : codes.slice(0, 10).join(', ') + (codes.length > 10 ? `, … (${codes.length})` : '')

/** The B2G rules for a document addressed to `structure` (found by the SIRET read from `field`). */
export function routeToStructure(keys: DocumentKeys, structure: Structure, field: string): Route {
  if (!structure.active) {
    return { ok: false, reasons: [{ code: 'STRUCTURE_INACTIVE', field, message: `the public structure ${structure.siret} (${structure.name}) is inactive in the directory and receives no invoices; check the buyer SIRET` }] }
  }
  const reasons: RoutingReason[] = []
  const activeCodes = structure.services.filter((s) => s.active).map((s) => s.code)
  const code = keys.buyerReference?.trim() || null
  let service: StructureService | null = null
  if (code === null) {
    if (structure.serviceRequired) {
      reasons.push({ code: 'SERVICE_REQUIRED', field: 'BT-10', message: `the structure ${structure.siret} requires a service code in the buyer reference (BT-10); its active services: ${list(activeCodes)}` })
    }
  } else if (structure.services.length > 0 || structure.serviceRequired) {
    service = structure.services.find((s) => s.code === code) ?? null
    if (!service) {
      reasons.push({ code: 'SERVICE_UNKNOWN', field: 'BT-10', message: `the service code '${code}' (BT-10) is not a service of the structure ${structure.siret}; its active services: ${list(activeCodes)}` })
    } else if (!service.active) {
      reasons.push({ code: 'SERVICE_INACTIVE', field: 'BT-10', message: `the service '${code}' (BT-10) of the structure ${structure.siret} is inactive; its active services: ${list(activeCodes)}` })
    }
  }
  const commitment = keys.orderReference?.trim() || null
  if (commitment === null && (structure.commitmentRequired || service?.commitmentRequired)) {
    const who = service?.commitmentRequired && !structure.commitmentRequired ? `the service '${service.code}' of the structure ${structure.siret}` : `the structure ${structure.siret}`
    reasons.push({ code: 'COMMITMENT_REQUIRED', field: 'BT-13', message: `${who} requires a commitment number (numéro d'engagement) in the purchase order reference (BT-13)` })
  }
  if (reasons.length > 0) return { ok: false, reasons }
  return {
    ok: true,
    recipient: { address: `${SIRET_SCHEME}:${structure.siret}`, name: structure.name, endpoint: structure.endpoint ?? MAILBOX_ENDPOINT, serviceCode: service?.code ?? null, format: structure.format },
  }
}

/**
 * The route of a valid document, given what the directory holds for its buyer: the public structure of its
 * SIRET (if any) and the B2B recipient registered at its electronic address (if any).
 */
export function resolveRoute(keys: DocumentKeys, found: { structure: Structure | null; recipient: Recipient | null }, options: { peppol?: boolean } = {}): Route {
  const siret = buyerSiret(keys)
  if (siret && found.structure) return routeToStructure(keys, found.structure, siret.field)
  if (found.recipient) return { ok: true, recipient: { ...found.recipient, serviceCode: null } }
  // Not a recipient of this hub: with Peppol on, a buyer with a Peppol participant id (ICD:value) is sent to over
  // the network; whether it is registered there is the SMP's answer, given at delivery.
  const peppolAddress = buyerAddress(keys)
  if (options.peppol && peppolAddress && /^\d{4}:\S+$/.test(peppolAddress)) {
    return { ok: true, recipient: { address: peppolAddress, name: `Peppol participant ${peppolAddress}`, endpoint: PEPPOL_ENDPOINT, serviceCode: null } }
  }
  if (siret) {
    return { ok: false, reasons: [{ code: 'RECIPIENT_UNKNOWN', field: siret.field, message: `the SIRET ${siret.siret} (${siret.field}) is neither a public structure of the directory nor a registered recipient; correct the buyer identifier and resubmit` }] }
  }
  const address = buyerAddress(keys)
  if (!address) {
    return { ok: false, reasons: [{ code: 'BUYER_ADDRESS_MISSING', field: 'BT-49', message: 'the buyer electronic address (BT-49) with its scheme (BT-49-1) is required to route the document' }] }
  }
  return { ok: false, reasons: [{ code: 'RECIPIENT_UNKNOWN', field: 'BT-49', message: `no recipient is registered in the directory at ${address}; correct the buyer electronic address and resubmit` }] }
}

/**
 * A partner sends only for the sellers it is bound to: its own addresses (`POST /v1/partners`) and the
 * sellers the operator listed for it (`PUT /v1/partners/{id}/sellers`). The seller's electronic address
 * (BT-34) or, for a French seller, its SIRET (BT-30, scheme 0009) must be one of them. A partner bound to
 * nothing sends for nobody: otherwise it could send as any seller and take that seller's invoice numbers
 * first (the duplicate rule would then reject the real seller's invoice).
 */
export function senderAllowed(keys: DocumentKeys, bound: string[]): RoutingReason | null {
  const candidates = sellerIdentifiers(keys)
  if (bound.length === 0) {
    return {
      code: 'SENDER_NOT_AUTHORISED', field: 'BT-34',
      message: `this partner is bound to no seller, so it may not send for ${candidates.join(', ') || 'a seller without identifier'}; the operator binds it to its sellers (PUT /v1/partners/{id}/sellers, or its addresses at registration)`,
    }
  }
  if (candidates.some((a) => bound.includes(a))) return null
  return {
    code: 'SENDER_NOT_AUTHORISED', field: 'BT-34',
    message: `the seller (${candidates.join(', ') || 'no electronic address or SIRET'}) is not one this partner sends for (${bound.slice(0, 5).join(', ')}${bound.length > 5 ? ', …' : ''}); the operator adds it with PUT /v1/partners/{id}/sellers`,
  }
}

/** The seller's identifiers a binding can name: its electronic address (BT-34) and its SIRET (BT-30, scheme 0009). */
export function sellerIdentifiers(keys: DocumentKeys): string[] {
  const { endpoint, legalId } = keys.seller
  const ids = [
    endpoint?.scheme && endpoint.value.trim() ? `${endpoint.scheme.trim()}:${endpoint.value.trim()}`.toLowerCase() : null,
    legalId?.scheme?.trim() === SIRET_SCHEME && legalId.value.trim() ? `${SIRET_SCHEME}:${legalId.value.trim()}` : null,
  ].filter((a): a is string => a !== null)
  return [...new Set(ids)]
}
