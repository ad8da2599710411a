// The engine choice of the pipeline (issue 6): with `native`, the packs the native loader reads and the
// differential test verifies run natively (and say so in `ran`), the others fall back to SaxonJS, and every verdict is the one the reference engine
// gives — validity, findings with their order, locations, lines and messages, and the packs that ran — on
// our own fixtures (test/fixtures and schematron/fr-b2g/cases), with the packs chosen from the document and
// with every pack forced onto it (native and SaxonJS packs mixed on one document, one shared tree).
import { describe, expect, test } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ensureArtefacts } from './artefacts.js'
import { createPipeline, type Job, type Verdict } from './pipeline.js'
import { packNames } from './choose-packs.js'
import { saxonJsCannotRun } from './native/source.js'

const artefacts = await ensureArtefacts()
const saxonjs = createPipeline(artefacts, { engine: 'saxonjs' })
const native = createPipeline(artefacts, { engine: 'native' })

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url))
const casesDir = fileURLToPath(new URL('../../schematron/fr-b2g/cases/', import.meta.url))
const documents = [
  ...readdirSync(fixtures).filter((f) => f.endsWith('.xml')).map((f) => ({ name: `test/fixtures/${f}`, text: readFileSync(fixtures + f, 'utf8') })),
  ...readdirSync(casesDir).filter((f) => f.endsWith('.xml')).map((f) => ({ name: `schematron/fr-b2g/cases/${f}`, text: readFileSync(casesDir + f, 'utf8') })),
]

/**
 * The verdict as the reference would give it: `ran` without the engine suffix. (The packs SaxonJS cannot run,
 * native/source.ts verifiedAgainstJava, run natively with either engine, so the reference's `ran` has the suffix too.)
 */
const asReference = (v: Verdict) => ({ ...v, ran: v.ran.map((r) => r.replace(/@native$/, '')) })

describe('pipeline engine choice', () => {
  test('the native engine runs every pack the differential tests verify: all of packs.json today', () => {
    expect(native.packs.map((p) => [p.id, p.engine, p.fallback])).toEqual(artefacts.packs.map((p) => [p.id, 'native', undefined]))
    // with `saxonjs`, SaxonJS runs every pack but those it cannot run (EXTENDED-CTC-FR), which say why
    expect(saxonjs.packs.map((p) => [p.id, p.engine, p.fallback])).toEqual(artefacts.packs.map((p) => {
      const reason = saxonJsCannotRun(p)
      return [p.id, reason === undefined ? 'saxonjs' : 'native', reason]
    }))
    expect(saxonjs.packs.filter((p) => p.engine === 'native').map((p) => p.id).sort()).toEqual(['fr-extended-ctc-cii', 'fr-extended-ctc-ubl'])
  })

  // A pack the differential test has not verified (here: Peppol under another version) runs on SaxonJS.
  const unverified = createPipeline({ ...artefacts, packs: artefacts.packs.map((p) => (p.id === 'peppol-bis-billing-3-ubl' ? { ...p, version: '2099.01' } : p)) }, { engine: 'native' })

  test('a pack the native engine may not run falls back to SaxonJS, with the reason; `ran` names the engine of each pack', () => {
    expect(unverified.packs.find((p) => p.id === 'peppol-bis-billing-3-ubl')).toMatchObject({ engine: 'saxonjs', fallback: expect.stringMatching(/not verified/) })
    const text = readFileSync(`${fixtures}ubl-invoice.xml`, 'utf8')
    const job: Job = { text, packs: ['en16931', 'peppol-bis-billing-3', 'fr-b2g'] }
    expect(unverified.validateBatch([job])[0]!.ran).toEqual(['xsd:ubl-invoice', 'en16931-ubl:1.3.16@native', 'peppol-bis-billing-3-ubl:2099.01', 'fr-b2g:1.0.0@native'])
    expect(native.validateBatch([job])[0]!.ran).toEqual(['xsd:ubl-invoice', 'en16931-ubl:1.3.16@native', 'peppol-bis-billing-3-ubl:2025.11@native', 'fr-b2g:1.0.0@native'])
    expect(saxonjs.validateBatch([job])[0]!.ran).toEqual(['xsd:ubl-invoice', 'en16931-ubl:1.3.16', 'peppol-bis-billing-3-ubl:2025.11', 'fr-b2g:1.0.0'])
  })

  test('has our fixtures', () => expect(documents.length).toBeGreaterThanOrEqual(25))

  test.each(documents.map((d) => [d.name, d] as const))('native = saxonjs on %s (packs chosen, and every pack forced)', (_name, d) => {
    const jobs: Job[] = [{ text: d.text }, { text: d.text, packs: [...packNames], skipSchema: true }]
    const expected = saxonjs.validateBatch(jobs).map(asReference)
    expect(native.validateBatch(jobs).map(asReference)).toEqual(expected)
    // with one pack on SaxonJS and the others native on one shared tree, too
    const mixed = JSON.parse(JSON.stringify(unverified.validateBatch(jobs).map(asReference)).replaceAll('2099.01', '2025.11')) as Verdict[]
    expect(mixed).toEqual(expected)
  })

  test('a dynamic error of the native rules is a fatal finding for that document only, as with SaxonJS', () => {
    const cii = readFileSync(`${fixtures}cii-invoice.xml`, 'utf8')
    const bad = cii.replace(/(<ram:CountryID>FR<\/ram:CountryID>)/, '$1$1')
    const jobs: Job[] = [cii, bad, cii].map((text) => ({ text, skipSchema: true, packs: ['en16931'] }))
    const got = native.validateBatch(jobs)
    expect(got.map((v) => v.valid)).toEqual([true, false, true])
    expect(got[1]!.findings.find((f) => f.ruleId === 'FACTEUR-RULE-ERROR')?.message).toContain('XPTY0004')
    expect(got.map((v) => v.findings.map((f) => [f.ruleId, f.severity]))).toEqual(saxonjs.validateBatch(jobs).map((v) => v.findings.map((f) => [f.ruleId, f.severity])))
  })
})
