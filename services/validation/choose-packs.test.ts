import { describe, expect, test } from 'vitest'
import { choosePacks, specifications, type DocumentFacts, type MissingPack } from './choose-packs.js'

const base: DocumentFacts = { syntax: 'ubl-invoice', customizationId: 'urn:cen.eu:en16931:2017', profileId: null, buyerIds: [] }
const peppol = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'

describe('pack selection', () => {
  test('EN 16931 alone', () => {
    expect(choosePacks(base)).toEqual({ packs: ['en16931'], findings: [] })
  })

  test('Peppol BIS Billing 3.0 adds its pack', () => {
    expect(choosePacks({ ...base, customizationId: peppol }).packs).toEqual(['en16931', 'peppol-bis-billing-3'])
  })

  test('a French billing framework (BT-23, BR-FR-08) adds the French CTC rules', () => {
    expect(choosePacks({ ...base, profileId: 'S1' }).packs).toEqual(['en16931', 'fr-ctc'])
    expect(choosePacks({ ...base, profileId: 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0' }).packs).toEqual(['en16931'])
  })

  // Its pack carries the EN 16931 rules as EXTENDED-CTC-FR relaxes them: it runs instead of en16931, not beside it.
  const extendedCtcFr = 'urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr'

  test('EXTENDED-CTC-FR (BT-24) gets its own pack instead of EN 16931 core, in either syntax', () => {
    expect(choosePacks({ ...base, customizationId: extendedCtcFr })).toEqual({ packs: ['fr-extended-ctc'], findings: [] })
    expect(choosePacks({ ...base, syntax: 'cii', customizationId: ` ${extendedCtcFr} ` })).toEqual({ packs: ['fr-extended-ctc'], findings: [] })
  })

  test('EXTENDED-CTC-FR with a French billing framework and a SIRET buyer: the French CTC and B2G rules too', () => {
    expect(choosePacks({ ...base, syntax: 'cii', customizationId: extendedCtcFr, profileId: 'S1', buyerIds: [{ scheme: '0009', value: 'x' }] }).packs)
      .toEqual(['fr-extended-ctc', 'fr-ctc', 'fr-b2g'])
  })

  test('a specification gets exactly its own packs: EN 16931 core for every one but EXTENDED-CTC-FR', () => {
    for (const spec of specifications) expect(choosePacks({ ...base, customizationId: spec.id }).packs).toEqual(spec.packs)
    expect(specifications.filter((s) => !s.packs.includes('en16931')).map((s) => s.id)).toEqual([extendedCtcFr])
  })

  test('Factur-X EXTENDED (not CTC-FR) keeps EN 16931 core', () => {
    expect(choosePacks({ ...base, syntax: 'cii', customizationId: 'urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended' }))
      .toEqual({ packs: ['en16931'], findings: [] })
  })

  test('a buyer identified by a SIRET (scheme 0009) adds the B2G rules, whichever identifier carries it', () => {
    expect(choosePacks({ ...base, buyerIds: [{ scheme: '0009', value: '21750999100014' }] }).packs).toEqual(['en16931', 'fr-b2g'])
    expect(choosePacks({ ...base, buyerIds: [{ scheme: '0088', value: '5790000435975' }] }).packs).toEqual(['en16931'])
  })

  test('everything at once, in a stable order', () => {
    expect(choosePacks({ ...base, customizationId: peppol, profileId: 'B1', buyerIds: [{ scheme: '0009', value: 'x' }] }).packs)
      .toEqual(['en16931', 'peppol-bis-billing-3', 'fr-ctc', 'fr-b2g'])
  })

  test('an unknown specification identifier: EN 16931 core only, with a warning naming it', () => {
    const choice = choosePacks({ ...base, customizationId: 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0' })
    expect(choice.packs).toEqual(['en16931'])
    expect(choice.findings).toHaveLength(1)
    expect(choice.findings[0]).toMatchObject({ ruleId: 'FACTEUR-SPEC-UNKNOWN', severity: 'warning' })
    expect(choice.findings[0]!.message).toContain('xrechnung_3.0')
  })

  test('no specification identifier at all: EN 16931 core, with a warning', () => {
    expect(choosePacks({ ...base, customizationId: null }).findings.map((f) => f.ruleId)).toEqual(['FACTEUR-SPEC-UNKNOWN'])
  })

  const noPeppolCii = (pack: string, syntax: string) => !(pack === 'peppol-bis-billing-3' && syntax === 'cii')

  test('a pack without an artefact for the syntax is left out with a warning', () => {
    const choice = choosePacks({ ...base, syntax: 'cii', customizationId: peppol }, noPeppolCii)
    expect(choice.packs).toEqual(['en16931'])
    expect(choice.findings).toEqual([expect.objectContaining({ ruleId: 'FACTEUR-PACK-UNAVAILABLE', severity: 'warning' })])
  })

  // Peppol's CII rules are supplied by the operator (packs.json `suppliedPacks`); until then they are missing.
  const missingPack: MissingPack = {
    id: 'peppol-bis-billing-3-cii', pack: 'peppol-bis-billing-3', version: '3.0.19', title: 'Peppol BIS Billing 3.0, CII',
    file: 'PEPPOL-EN16931-CII.sch', sha256: 'ab'.repeat(32), from: 'https://example.org/release', url: 'https://example.org/PEPPOL-EN16931-CII.sch', severity: 'fatal',
  }
  const missing = (pack: string, syntax: string) => (noPeppolCii(pack, syntax) ? undefined : missingPack)

  test('a supplied pack the operator has not supplied: FACTEUR-PACK-MISSING, fatal, saying what to download and how to add it', () => {
    const choice = choosePacks({ ...base, syntax: 'cii', customizationId: peppol }, noPeppolCii, missing)
    expect(choice.packs).toEqual(['en16931'])
    expect(choice.findings).toEqual([expect.objectContaining({ ruleId: 'FACTEUR-PACK-MISSING', severity: 'fatal', pack: 'peppol-bis-billing-3', packVersion: '3.0.19' })])
    const message = choice.findings[0]!.message
    for (const part of ['peppol-bis-billing-3 3.0.19', 'cii', 'ab'.repeat(32), 'https://example.org/PEPPOL-EN16931-CII.sch', 'https://example.org/release', '`npx facteur packs add PEPPOL-EN16931-CII.sch`']) expect(message).toContain(part)
  })

  test('the operator may accept such documents: the same finding as a warning', () => {
    const choice = choosePacks({ ...base, syntax: 'cii', customizationId: peppol }, noPeppolCii, (p, s) => (missing(p, s) ? { ...missingPack, severity: 'warning' } : undefined))
    expect(choice.findings.map((f) => [f.ruleId, f.severity])).toEqual([['FACTEUR-PACK-MISSING', 'warning']])
  })

  test('a UBL document declaring Peppol is not concerned by the CII pack', () => {
    expect(choosePacks({ ...base, customizationId: peppol }, noPeppolCii, missing)).toEqual({ packs: ['en16931', 'peppol-bis-billing-3'], findings: [] })
  })
})
