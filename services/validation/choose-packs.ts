// Which rule packs a document gets, from its syntax and what it says about itself: the specification
// identifier (BT-24: UBL cbc:CustomizationID, CII GuidelineSpecifiedDocumentContextParameter), the business
// process (BT-23: UBL cbc:ProfileID, CII BusinessProcessSpecifiedDocumentContextParameter) and the buyer's
// identifiers. Pure: the worker extracts the facts, this decides (phive does the same with its VESIDs).
import type { Finding, Syntax } from '../../schemas/events.js'

export type PackName = 'en16931' | 'peppol-bis-billing-3' | 'fr-ctc' | 'fr-b2g'
export const packNames: readonly PackName[] = ['en16931', 'peppol-bis-billing-3', 'fr-ctc', 'fr-b2g']

export type DocumentFacts = {
  syntax: Syntax
  customizationId: string | null
  profileId: string | null
  /** every buyer identifier with its scheme: BT-46 party id, BT-47 legal id, BT-49 electronic address */
  buyerIds: { scheme: string | null; value: string }[]
}

/** Specification identifiers (BT-24) we know, and the packs each one asks for beyond EN 16931 core. */
export const specifications: { id: string; name: string; packs: PackName[] }[] = [
  { id: 'urn:cen.eu:en16931:2017', name: 'EN 16931 (also Factur-X / ZUGFeRD profile EN 16931)', packs: ['en16931'] },
  { id: 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0', name: 'Peppol BIS Billing 3.0', packs: ['en16931', 'peppol-bis-billing-3'] },
  { id: 'urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic', name: 'Factur-X / ZUGFeRD BASIC', packs: ['en16931'] },
  { id: 'urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended', name: 'Factur-X / ZUGFeRD EXTENDED', packs: ['en16931'] },
]

/**
 * The French reform's billing frameworks ("cadres de facturation", BT-23), as the official BR-FR-08 rule of
 * the French CTC pack lists them: a document that declares one is a French reform document and gets the
 * BR-FR-* rules.
 */
export const frenchBillingFrameworks = new Set(['B1', 'S1', 'M1', 'B2', 'S2', 'M2', 'B4', 'S4', 'M4', 'S5', 'S6', 'B7', 'S7'])

/** ISO 6523 ICD 0009: SIRET, the identifier of a French public structure in Chorus Pro's directory. */
export const SIRET_SCHEME = '0009'

export type PackChoice = { packs: PackName[]; findings: Finding[] }

const note = (ruleId: string, severity: Finding['severity'], message: string): Finding =>
  ({ ruleId, severity, location: '/', message, pack: null, line: null })

export function choosePacks(facts: DocumentFacts, available: (pack: PackName, syntax: Syntax) => boolean = () => true): PackChoice {
  const findings: Finding[] = []
  const chosen = new Set<PackName>(['en16931'])
  const spec = facts.customizationId?.trim() ?? ''
  const known = specifications.find((s) => s.id === spec)
  if (known) known.packs.forEach((p) => chosen.add(p))
  else {
    findings.push(note('FACTEUR-SPEC-UNKNOWN', 'warning', spec
      ? `specification identifier (BT-24) "${spec}" is not one this hub has rules for; only the EN 16931 core rules were applied (known: ${specifications.map((s) => s.id).join(', ')})`
      : 'no specification identifier (BT-24); only the EN 16931 core rules were applied'))
  }
  if (frenchBillingFrameworks.has(facts.profileId?.trim() ?? '')) chosen.add('fr-ctc')
  if (facts.buyerIds.some((id) => id.scheme?.trim() === SIRET_SCHEME)) chosen.add('fr-b2g')
  const packs = packNames.filter((p) => chosen.has(p))
  for (const p of packs) {
    if (!available(p, facts.syntax)) {
      findings.push(note('FACTEUR-PACK-UNAVAILABLE', 'warning', `the ${p} rules are not available for ${facts.syntax} (no official artefact for this syntax); they were not applied`))
    }
  }
  return { packs: packs.filter((p) => available(p, facts.syntax)), findings }
}
