// Which rule packs a document gets, from its syntax and what it says about itself: the specification
// identifier (BT-24: UBL cbc:CustomizationID, CII GuidelineSpecifiedDocumentContextParameter), the business
// process (BT-23: UBL cbc:ProfileID, CII BusinessProcessSpecifiedDocumentContextParameter) and the buyer's
// identifiers. Pure: the worker extracts the facts, this decides (phive does the same with its VESIDs).
import type { Finding, Syntax } from '../../schemas/events.js'

export type PackName = 'en16931' | 'fr-extended-ctc' | 'peppol-bis-billing-3' | 'fr-ctc' | 'fr-b2g'
export const packNames: readonly PackName[] = ['en16931', 'fr-extended-ctc', 'peppol-bis-billing-3', 'fr-ctc', 'fr-b2g']

export type DocumentFacts = {
  syntax: Syntax
  customizationId: string | null
  profileId: string | null
  /** every buyer identifier with its scheme: BT-46 party id, BT-47 legal id, BT-49 electronic address */
  buyerIds: { scheme: string | null; value: string }[]
}

/**
 * Specification identifiers (BT-24) we know, and the packs each one asks for. EN 16931 core for all but
 * EXTENDED-CTC-FR, whose pack carries the EN 16931 rules as that profile relaxes them (and BR-FREXT-*) and runs
 * instead of them. Its id is Factur-X's (services/ingest/facturx.ts); the pack itself checks no BT-24.
 */
export const specifications: { id: string; name: string; packs: PackName[] }[] = [
  { id: 'urn:cen.eu:en16931:2017', name: 'EN 16931 (also Factur-X / ZUGFeRD profile EN 16931)', packs: ['en16931'] },
  { id: 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0', name: 'Peppol BIS Billing 3.0', packs: ['en16931', 'peppol-bis-billing-3'] },
  { id: 'urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic', name: 'Factur-X / ZUGFeRD BASIC', packs: ['en16931'] },
  { id: 'urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended', name: 'Factur-X / ZUGFeRD EXTENDED', packs: ['en16931'] },
  { id: 'urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr', name: 'Factur-X EXTENDED-CTC-FR (French reform)', packs: ['fr-extended-ctc'] },
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

/**
 * A pack the hub operator must supply (schematron/packs.json `suppliedPacks`, such as OpenPeppol's CII rules)
 * and has not: what its finding says, and how severe the operator wants it (FACTEUR_MISSING_PACK_SEVERITY).
 */
export type MissingPack = {
  id: string; pack: string; version: string; title: string
  file: string; sha256: string; from: string; url?: string
  severity: 'fatal' | 'warning'
}

/**
 * FACTEUR-PACK-MISSING: the rules were not applied because the operator has not supplied them. Fatal by default,
 * so that a document is never passed as valid without the rules its specification calls for; the message says
 * which file, its sha256, where to download it and the command that installs it.
 */
export function missingPackFinding(m: MissingPack, syntax: Syntax): Finding {
  const where = m.url ? `${m.url} (release page: ${m.from})` : m.from
  const outcome = m.severity === 'fatal'
    ? 'so this document cannot be accepted as valid'
    : 'and the hub accepts such documents without them (FACTEUR_MISSING_PACK_SEVERITY=warning)'
  return {
    ruleId: 'FACTEUR-PACK-MISSING', severity: m.severity, location: '/', pack: m.pack, packVersion: m.version, line: null,
    message: `the ${m.pack} ${m.version} rules for ${syntax} (${m.title}) were not applied: the hub operator must supply them and has not, ${outcome}. ` +
      `Operator: download ${m.file} from ${where}, check that its sha256 is ${m.sha256}, run \`npx facteur packs add ${m.file}\` (or put the file in the FACTEUR_PACKS_DIR folder) and restart validation.`,
  }
}

const note = (ruleId: string, severity: Finding['severity'], message: string): Finding =>
  ({ ruleId, severity, location: '/', message, pack: null, line: null })

/**
 * `available`: whether the hub has the pack's rules for the syntax. `missing`: for a pack it has not, whether it is
 * one the operator must supply (FACTEUR-PACK-MISSING, at the operator's severity) rather than one with no
 * artefact at all for the syntax (FACTEUR-PACK-UNAVAILABLE, a warning).
 */
export function choosePacks(facts: DocumentFacts, available: (pack: PackName, syntax: Syntax) => boolean = () => true, missing: (pack: PackName, syntax: Syntax) => MissingPack | undefined = () => undefined): PackChoice {
  const findings: Finding[] = []
  const spec = facts.customizationId?.trim() ?? ''
  const known = specifications.find((s) => s.id === spec)
  const chosen = new Set<PackName>(known ? known.packs : ['en16931'])
  if (!known) {
    findings.push(note('FACTEUR-SPEC-UNKNOWN', 'warning', spec
      ? `specification identifier (BT-24) "${spec}" is not one this hub has rules for; only the EN 16931 core rules were applied (known: ${specifications.map((s) => s.id).join(', ')})`
      : 'no specification identifier (BT-24); only the EN 16931 core rules were applied'))
  }
  if (frenchBillingFrameworks.has(facts.profileId?.trim() ?? '')) chosen.add('fr-ctc')
  if (facts.buyerIds.some((id) => id.scheme?.trim() === SIRET_SCHEME)) chosen.add('fr-b2g')
  const packs = packNames.filter((p) => chosen.has(p))
  for (const p of packs) {
    if (available(p, facts.syntax)) continue
    const m = missing(p, facts.syntax)
    findings.push(m ? missingPackFinding(m, facts.syntax)
      : note('FACTEUR-PACK-UNAVAILABLE', 'warning', `the ${p} rules are not available for ${facts.syntax} (no official artefact for this syntax); they were not applied`))
  }
  return { packs: packs.filter((p) => available(p, facts.syntax)), findings }
}
