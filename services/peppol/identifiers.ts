// Peppol identifiers (Peppol Policy for use of Identifiers 4.x): participants (`iso6523-actorid-upis::0009:…`),
// document types (`busdox-docid-qns::<root ns>::<root>##<customization>::<version>`) and processes
// (`cenbii-procid-ubl::<profile>`), derived from the invoice's own CustomizationID (BT-24) and ProfileID (BT-23).
import type { Syntax } from '../../schemas/events.js'

export const PARTICIPANT_SCHEME = 'iso6523-actorid-upis'
export const DOCTYPE_SCHEME = 'busdox-docid-qns'
export const PROCESS_SCHEME = 'cenbii-procid-ubl'

/** A scheme-qualified identifier, e.g. { scheme: 'iso6523-actorid-upis', value: '0009:12345678200010' }. */
export type PeppolId = { scheme: string; value: string }

// Policy 4.x, POLICY 1: the ICD is four digits; the value after ':' must not be empty. Values are compared
// case-insensitively for participants (POLICY 3), so they are kept as given and lowered where compared.
const participantValue = /^(\d{4}):([^\s:][^\s]{0,134})$/

export type Parsed<T> = { ok: true; id: T } | { ok: false; reason: string }

/** `0009:123…` or `iso6523-actorid-upis::0009:123…` → the participant id. */
export function parseParticipant(text: string): Parsed<PeppolId> {
  const raw = text.trim()
  const value = raw.toLowerCase().startsWith(`${PARTICIPANT_SCHEME}::`) ? raw.slice(PARTICIPANT_SCHEME.length + 2) : raw
  if (raw.includes('::') && value === raw) return { ok: false, reason: `participant scheme must be ${PARTICIPANT_SCHEME}: ${raw}` }
  if (!participantValue.test(value)) return { ok: false, reason: `not a Peppol participant id (ICD:value, e.g. 0009:12345678200010): ${raw}` }
  return { ok: true, id: { scheme: PARTICIPANT_SCHEME, value } }
}

export const formatId = (id: PeppolId) => `${id.scheme}::${id.value}`

/** Participant ids are case-insensitive (Policy 4.x, POLICY 3). */
export const sameParticipant = (a: PeppolId, b: PeppolId) => a.scheme === b.scheme && a.value.toLowerCase() === b.value.toLowerCase()

const roots: Record<Syntax, { ns: string; local: string; version: string }> = {
  'ubl-invoice': { ns: 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2', local: 'Invoice', version: '2.1' },
  'ubl-creditnote': { ns: 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2', local: 'CreditNote', version: '2.1' },
  cii: { ns: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100', local: 'CrossIndustryInvoice', version: 'D16B' },
}

/** The document type id of a document (Policy 4.x, POLICY 7: root namespace, root element, customization, version). */
export function documentTypeId(syntax: Syntax, customizationId: string): PeppolId {
  const r = roots[syntax]
  return { scheme: DOCTYPE_SCHEME, value: `${r.ns}::${r.local}##${customizationId.trim()}::${r.version}` }
}

/** The syntax a document type id announces, or null when it is none the hub reads. */
export function syntaxOfDocumentType(id: PeppolId): Syntax | null {
  if (id.scheme !== DOCTYPE_SCHEME) return null
  for (const [syntax, r] of Object.entries(roots) as [Syntax, (typeof roots)[Syntax]][]) {
    if (id.value.startsWith(`${r.ns}::${r.local}##`)) return syntax
  }
  return null
}

export const processId = (profileId: string): PeppolId => ({ scheme: PROCESS_SCHEME, value: profileId.trim() })

/** `scheme::value` → the id; the value may itself contain '::' (document types do). */
export function parseQualified(text: string): PeppolId | null {
  const at = text.indexOf('::')
  if (at <= 0 || at + 2 >= text.length) return null
  return { scheme: text.slice(0, at), value: text.slice(at + 2) }
}
