// Rule packs the operator supplies (schematron/packs.json `suppliedPacks`): OpenPeppol's PEPPOL-EN16931-CII.sch
// may not be copied into the project, so a small Schematron of our own (testdata/supplied-cii-sample.sch) stands
// in for it. The tests run on a copy of the production manifest whose supplied entry is pinned to the stand-in's
// sha256 instead of OpenPeppol's file's (the production manifest itself is checked, never weakened), with a
// packs folder of their own: absent → FACTEUR-PACK-MISSING (fatal, or a warning when the operator says so);
// present → its rules run, by the native engine and by SaxonJS with the same findings. Last, the differential
// check of every supplied pack present: the stand-in always, and each production supplied pack when the
// operator has put its file in FACTEUR_PACKS_DIR on this machine (skipped otherwise).
import { afterAll, describe, expect, test } from 'vitest'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Finding, Syntax } from '../../schemas/events.js'
import {
  defaultMissingPackSeverity, defaultPacksDir, ensureArtefacts, findSuppliedFile, loadManifest, sha256, verifiedSuppliedPacks,
  type Artefacts, type Manifest, type ResolvedSuppliedPack,
} from './artefacts.js'
import { createPipeline, type Job, type Verdict } from './pipeline.js'
import { loadPack } from './saxon-engine.js'
import { createNativePack } from './native/engine.js'
import { variantsOf } from './native/variants.js'
import { nativeRefusal, suppliedNativePack, suppliedPackRules } from './supplied-packs.js'

const standInPath = fileURLToPath(new URL('./testdata/supplied-cii-sample.sch', import.meta.url))
const standIn = readFileSync(standInPath)
const production = loadManifest()
const peppolCii = production.suppliedPacks?.find((p) => p.id === 'peppol-bis-billing-3-cii')
if (!peppolCii) throw new Error('schematron/packs.json has no supplied pack peppol-bis-billing-3-cii')
/** The production manifest, its supplied entry pinned to the stand-in's sha256 (nothing else changed). */
const manifest: Manifest = { ...production, suppliedPacks: [{ ...peppolCii, supplied: { ...peppolCii.supplied, sha256: sha256(standIn) } }] }
const key = `${peppolCii.id}:${peppolCii.version}`

const folders: string[] = []
const folder = () => { const d = mkdtempSync(join(tmpdir(), 'facteur-packs-')); folders.push(d); return d }
afterAll(() => { for (const d of folders) rmSync(d, { recursive: true, force: true }) })

// The stand-in under a name of its own: the hub finds a supplied file by its sha256, whatever it is called.
const packsDir = folder()
copyFileSync(standInPath, join(packsDir, 'downloaded (1).sch'))
const emptyDir = folder()
const present = await ensureArtefacts({ manifest, packsDir, verifiedSupplied: [key] })
const unverified = await ensureArtefacts({ manifest, packsDir, verifiedSupplied: [] })
const absent = await ensureArtefacts({ manifest, packsDir: emptyDir, missingPackSeverity: 'fatal' })
const absentAccepted = await ensureArtefacts({ manifest, packsDir: emptyDir, missingPackSeverity: 'warning' })
const absentProduction = await ensureArtefacts({ manifest: production, packsDir: emptyDir, missingPackSeverity: 'fatal' })

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url))
const PEPPOL = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'
/** Our CII fixture, declaring Peppol BIS Billing 3.0 (BT-24). */
const cii = readFileSync(`${fixtures}cii-invoice.xml`, 'utf8').replace('<ram:ID>urn:cen.eu:en16931:2017</ram:ID>', `<ram:ID>${PEPPOL}</ram:ID>`)
const ciiEn16931 = readFileSync(`${fixtures}cii-invoice.xml`, 'utf8')
const ublPeppol = readFileSync(`${fixtures}ubl-invoice.xml`, 'utf8').replace('<cbc:CustomizationID>urn:cen.eu:en16931:2017<', `<cbc:CustomizationID>${PEPPOL}<`)

/** Mutations of the fixture, each with the stand-in rules it must fire (and no other of its rules). */
const line = /<ram:IncludedSupplyChainTradeLineItem>[\s\S]*?<\/ram:IncludedSupplyChainTradeLineItem>/
const terms = /<ram:SpecifiedTradePaymentTerms>[\s\S]*?<\/ram:SpecifiedTradePaymentTerms>/
const mutations: [string, string[], (t: string) => string][] = [
  ['an invoice number of 28 characters', ['FX-SUP-01'], (t) => t.replace('>FCT-CII-2026-0007<', '>FCT-CII-2026-0007-EXTRA-LONG<')],
  ['a document type code 751', ['FX-SUP-02'], (t) => t.replace('<ram:TypeCode>380</ram:TypeCode>', '<ram:TypeCode>751</ram:TypeCode>')],
  ['a currency code in small letters', ['FX-SUP-03'], (t) => t.replace('<ram:InvoiceCurrencyCode>EUR<', '<ram:InvoiceCurrencyCode>eur<')],
  ['the payment terms twice (a report, a warning)', ['FX-SUP-04'], (t) => t.replace(terms, (m) => `${m}\n      ${m}`)],
  ['two lines with one identifier', ['FX-SUP-05'], (t) => t.replace(line, (m) => `${m}\n    ${m}`)],
  ['a line amount that is not quantity × price', ['FX-SUP-06'], (t) => t.replace(/(<ram:SpecifiedTradeSettlementLineMonetarySummation>\s*<ram:LineTotalAmount>)1200\.00/, '$11300.00')],
  ['no buyer country', ['FX-SUP-07'], (t) => t.replace(/(<ram:BuyerTradeParty>[\s\S]*?)<ram:CountryID>FR<\/ram:CountryID>/, '$1')],
  ['two of them at once', ['FX-SUP-01', 'FX-SUP-07'], (t) => t.replace('>FCT-CII-2026-0007<', '>FCT-CII-2026-0007-EXTRA-LONG<').replace(/(<ram:BuyerTradeParty>[\s\S]*?)<ram:CountryID>FR<\/ram:CountryID>/, '$1')],
]

const packFindings = (v: Verdict) => v.findings.filter((f) => f.pack === 'peppol-bis-billing-3')
/** The verdict as the reference gives it: `ran` without the engine suffix. */
const asReference = (v: Verdict) => ({ ...v, ran: v.ran.map((r) => r.replace(/@native$/, '')) })

describe('the production manifest', () => {
  test('pins OpenPeppol\'s PEPPOL-EN16931-CII.sch 3.0.19 by its sha256, with where to download it', () => {
    expect(peppolCii).toMatchObject({ pack: 'peppol-bis-billing-3', version: '3.0.19', syntaxes: ['cii'] })
    expect(peppolCii.supplied.file).toBe('PEPPOL-EN16931-CII.sch')
    expect(peppolCii.supplied.sha256).toBe('78dcef8d4a2d502e16affbb342f319aaea985da5b1154d529c8627fb628e7a89')
    expect(peppolCii.supplied.from).toMatch(/^https:\/\/github\.com\/OpenPEPPOL\/peppol-bis-invoice-3\/releases\/tag\/v3\.0\.19$/)
    expect(peppolCii.supplied.url).toMatch(/^https:\/\/raw\.githubusercontent\.com\/OpenPEPPOL\/peppol-bis-invoice-3\/v3\.0\.19\/rules\/sch\/PEPPOL-EN16931-CII\.sch$/)
    // not the stand-in: the tests pin theirs in a copy of the manifest
    expect(peppolCii.supplied.sha256).not.toBe(sha256(standIn))
    // no pack is both supplied and resolved from a registry for the same syntax
    for (const s of production.suppliedPacks!) {
      expect(production.packs.filter((p) => p.pack === s.pack && p.syntaxes.some((x) => s.syntaxes.includes(x)))).toEqual([])
    }
  })

  test('the supplied packs verified natively are supplied packs of packs.json', () => {
    const declared = (production.suppliedPacks ?? []).map((p) => `${p.id}:${p.version}`)
    for (const v of verifiedSuppliedPacks) expect(declared).toContain(v)
  })
})

describe('finding a supplied file in the packs folder', () => {
  const entry = manifest.suppliedPacks![0]!

  test('by its sha256, whatever its name; the pinned name first', () => {
    const dir = folder()
    expect(findSuppliedFile(entry, dir)).toEqual({})
    writeFileSync(join(dir, 'notes.txt'), 'not a pack')
    copyFileSync(standInPath, join(dir, 'zz.sch'))
    expect(findSuppliedFile(entry, dir)).toEqual({ path: join(dir, 'zz.sch') })
    copyFileSync(standInPath, join(dir, entry.supplied.file))
    expect(findSuppliedFile(entry, dir)).toEqual({ path: join(dir, entry.supplied.file) })
  })

  test('a file with the pinned name and another sha256 is reported, not used; temporary copies are skipped', () => {
    const dir = folder()
    writeFileSync(join(dir, entry.supplied.file), '<schema/>')
    copyFileSync(standInPath, join(dir, `${entry.supplied.file}.123.tmp`))
    expect(findSuppliedFile(entry, dir)).toEqual({ wrongFile: { path: join(dir, entry.supplied.file), sha256: sha256('<schema/>') } })
  })

  test('a folder that does not exist holds nothing', () => {
    expect(findSuppliedFile(entry, join(emptyDir, 'nope'))).toEqual({})
  })
})

describe('settings', () => {
  test('FACTEUR_PACKS_DIR: .facteur/packs of the checkout by default, relative paths from the checkout', () => {
    const checkout = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '')
    expect(defaultPacksDir({})).toBe(join(checkout, '.facteur', 'packs'))
    expect(defaultPacksDir({ FACTEUR_PACKS_DIR: 'var/packs' })).toBe(join(checkout, 'var', 'packs'))
    expect(defaultPacksDir({ FACTEUR_PACKS_DIR: '/srv/facteur/packs' })).toBe('/srv/facteur/packs')
    expect(() => defaultPacksDir({ FACTEUR_PACKS_DIR: ' ' })).toThrow(/FACTEUR_PACKS_DIR/)
  })

  test('FACTEUR_MISSING_PACK_SEVERITY: fatal by default, or warning', () => {
    expect(defaultMissingPackSeverity({})).toBe('fatal')
    expect(defaultMissingPackSeverity({ FACTEUR_MISSING_PACK_SEVERITY: 'warning' })).toBe('warning')
    expect(() => defaultMissingPackSeverity({ FACTEUR_MISSING_PACK_SEVERITY: 'ignore' })).toThrow(/expected one of fatal, warning/)
  })
})

for (const engine of ['native', 'saxonjs'] as const) {
  const pipelines = new Map<Artefacts, ReturnType<typeof createPipeline>>()
  const one = (artefacts: Artefacts, job: Job) => {
    let p = pipelines.get(artefacts)
    if (!p) pipelines.set(artefacts, p = createPipeline(artefacts, { engine, lazy: true }))
    return p.validateBatch([job])[0]!
  }
  const suffix = engine === 'native' ? '@native' : ''

  describe(`${engine}: a supplied pack that is absent`, () => {
    test('a CII document declaring Peppol BIS 3 is not valid: FACTEUR-PACK-MISSING, fatal, saying how to supply the pack', () => {
      expect(absentProduction.supplied).toEqual([expect.objectContaining({ id: 'peppol-bis-billing-3-cii', status: 'missing', severity: 'fatal' })])
      const v = one(absentProduction, { text: cii })
      expect(v.valid).toBe(false)
      expect(v.ran).toEqual(['xsd:cii', `en16931-cii:1.3.16${suffix}`, `fr-b2g:1.0.0${suffix}`])
      const missing = v.findings.filter((f) => f.ruleId === 'FACTEUR-PACK-MISSING')
      expect(missing).toEqual([expect.objectContaining({ severity: 'fatal', pack: 'peppol-bis-billing-3', packVersion: '3.0.19', location: '/', line: null })])
      expect(v.findings.filter((f) => f.severity === 'fatal')).toEqual(missing) // the document is otherwise valid
      const message = missing[0]!.message
      for (const part of ['peppol-bis-billing-3', '3.0.19', 'PEPPOL-EN16931-CII.sch', peppolCii.supplied.sha256, peppolCii.supplied.url!, peppolCii.supplied.from, 'npx facteur packs add PEPPOL-EN16931-CII.sch', 'FACTEUR_PACKS_DIR']) {
        expect(message).toContain(part)
      }
    })

    test('with FACTEUR_MISSING_PACK_SEVERITY=warning the document is accepted, with the finding as a warning', () => {
      const v = one(absentAccepted, { text: cii })
      expect(v.valid).toBe(true)
      expect(v.findings.map((f) => [f.ruleId, f.severity])).toEqual([['FACTEUR-PACK-MISSING', 'warning']])
      expect(v.findings[0]!.message).toContain('FACTEUR_MISSING_PACK_SEVERITY=warning')
    })

    test('asked for by name (--pack), it is missing too', () => {
      const v = one(absent, { text: cii, packs: ['en16931', 'peppol-bis-billing-3'] })
      expect(v.valid).toBe(false)
      expect(v.findings.map((f) => [f.ruleId, f.severity])).toEqual([['FACTEUR-PACK-MISSING', 'fatal']])
    })

    test('documents that do not call for it are not concerned; UBL keeps the Peppol UBL pack of phive-rules', () => {
      const en = one(absent, { text: ciiEn16931 })
      expect(en).toMatchObject({ valid: true, findings: [] })
      const ubl = one(absent, { text: ublPeppol })
      expect(ubl.ran).toContain(`peppol-bis-billing-3-ubl:2025.11${suffix}`)
      expect(ubl.findings.filter((f) => f.ruleId.startsWith('FACTEUR-PACK'))).toEqual([])
    })
  })

  describe(`${engine}: the supplied pack (our stand-in) in the packs folder`, () => {
    const pipeline = createPipeline(present, { engine })
    const run = (text: string) => pipeline.validateBatch([{ text }])[0]!

    test('is found by its sha256 and runs, natively with the native engine', () => {
      expect(present.supplied).toEqual([expect.objectContaining({ status: 'supplied', path: join(packsDir, 'downloaded (1).sch'), nativeVerified: true })])
      expect(pipeline.packs.find((p) => p.id === 'peppol-bis-billing-3-cii')).toMatchObject({ pack: 'peppol-bis-billing-3', version: '3.0.19', engine, syntaxes: ['cii'] })
      const v = run(cii)
      expect(v).toMatchObject({ valid: true, findings: [] })
      expect(v.ran).toEqual(['xsd:cii', `en16931-cii:1.3.16${suffix}`, `peppol-bis-billing-3-cii:3.0.19${suffix}`, `fr-b2g:1.0.0${suffix}`])
    })

    test.each(mutations.map(([what, rules, mutate]) => [what, rules, mutate] as const))('%s: fires %j', (_what, rules, mutate) => {
      const text = mutate(cii)
      expect(text).not.toBe(cii)
      const v = run(text)
      expect(v.ran).toContain(`peppol-bis-billing-3-cii:3.0.19${suffix}`)
      const fired = packFindings(v)
      expect([...new Set(fired.map((f) => f.ruleId))].sort()).toEqual(rules)
      for (const f of fired) {
        expect(f).toMatchObject({ packVersion: '3.0.19', severity: f.ruleId === 'FX-SUP-04' ? 'warning' : 'fatal' })
        expect(f.line).toBeGreaterThan(1)
      }
      if (!rules.includes('FX-SUP-04')) expect(v.valid).toBe(false)
    })

    test('a document that does not declare Peppol BIS 3 does not get it', () => {
      expect(run(ciiEn16931).ran).not.toContain(`peppol-bis-billing-3-cii:3.0.19${suffix}`)
    })
  })
}

describe('native engine = SaxonJS on the supplied pack', () => {
  const native = createPipeline(present, { engine: 'native' })
  const saxonjs = createPipeline(present, { engine: 'saxonjs' })
  const fallback = createPipeline(unverified, { engine: 'native' })

  test('same verdicts, findings, messages, locations and lines on the fixture and each mutation', () => {
    const jobs: Job[] = [cii, ...mutations.map(([, , m]) => m(cii))].map((text) => ({ text }))
    const expected = saxonjs.validateBatch(jobs)
    expect(native.validateBatch(jobs).map(asReference)).toEqual(expected)
    expect(expected.flatMap(packFindings).length).toBeGreaterThanOrEqual(mutations.length)
  })

  test('a supplied pack not verified against SaxonJS runs on SaxonJS, with the reason, and the same verdicts', () => {
    expect(fallback.packs.find((p) => p.id === 'peppol-bis-billing-3-cii')).toMatchObject({ engine: 'saxonjs', fallback: expect.stringMatching(/not verified/) })
    const jobs: Job[] = mutations.map(([, , m]) => ({ text: m(cii) }))
    expect(fallback.validateBatch(jobs).map((v) => v.ran)).toEqual(jobs.map(() => ['xsd:cii', 'en16931-cii:1.3.16@native', 'peppol-bis-billing-3-cii:3.0.19', 'fr-b2g:1.0.0@native']))
    expect(fallback.validateBatch(jobs).map(asReference)).toEqual(saxonjs.validateBatch(jobs))
  })

  test('the native rules are cached as data under the file\'s sha256', () => {
    const entry = present.supplied![0] as ResolvedSuppliedPack
    const rules = suppliedPackRules(entry)
    expect(nativeRefusal(rules)).toBeNull()
    expect(suppliedPackRules(entry)).toStrictEqual(rules)
    expect('pack' in suppliedNativePack(entry)).toBe(true)
  })
})

// The differential check of every supplied pack present, as native/differential.test.ts does for the packs of
// packs.json: the same multiset of findings (rule id, severity, location, message) from the native engine and
// from SaxonJS running SchXslt's compilation of the same file, on CII documents of our own, on the conformance
// corpus when it is beside the project, and on seeded variants of the full documents (variants.ts).
const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url))
type CorpusEntry = { file: string; syntax: Syntax; layer: 'full' | 'schematron' }
const corpusCii: { name: string; text: string; full: boolean }[] = existsSync(`${corpus}manifest.json`)
  ? (JSON.parse(readFileSync(`${corpus}manifest.json`, 'utf8')) as CorpusEntry[]).filter((e) => e.syntax === 'cii')
    .map((e) => ({ name: e.file, text: readFileSync(corpus + e.file, 'utf8'), full: e.layer === 'full' }))
  : []
const casesDir = fileURLToPath(new URL('../../schematron/fr-b2g/cases/', import.meta.url))
const ownCii = [
  { name: 'cii-invoice.xml (Peppol)', text: cii, full: true },
  ...mutations.map(([what, , m]) => ({ name: `cii-invoice.xml: ${what}`, text: m(cii), full: true })),
  ...readdirSync(casesDir).filter((f) => f.includes('.cii.')).map((f) => ({ name: `fr-b2g/cases/${f}`, text: readFileSync(casesDir + f, 'utf8'), full: true })),
]
const keyOf = (f: Finding) => JSON.stringify([f.ruleId, f.severity, f.location, f.ruleId === 'FACTEUR-RULE-ERROR' ? '' : f.message, f.pack, f.packVersion ?? null])
const multiset = (fs: Finding[]) => fs.map(keyOf).sort()

/** The supplied packs present: the stand-in, and each production one whose file is in FACTEUR_PACKS_DIR here. */
const onThisMachine = await ensureArtefacts().then((a) => (a.supplied ?? []).filter((s): s is ResolvedSuppliedPack => s.status === 'supplied'))
const presentPacks = [
  { label: 'stand-in', entry: present.supplied![0] as ResolvedSuppliedPack, minFindings: 15 },
  ...onThisMachine.map((entry) => ({ label: `${entry.supplied.file} from FACTEUR_PACKS_DIR`, entry, minFindings: 1 })),
]

for (const { label, entry, minFindings } of presentPacks) {
  describe(`differential: supplied pack ${entry.id} ${entry.version} (${label})`, () => {
    const ref = { pack: entry.pack, version: entry.version }
    const rules = suppliedPackRules(entry)
    const refusal = nativeRefusal(rules)

    test.skipIf(refusal === null)('the native engine cannot read it whole, so the pipeline runs it on SaxonJS', () => {
      const artefacts = { packs: [], schemas: [], supplied: [{ ...entry, nativeVerified: true }] }
      expect(createPipeline(artefacts, { engine: 'native' }).packs).toEqual([expect.objectContaining({ id: entry.id, engine: 'saxonjs', fallback: refusal })])
    })

    const docs = [...ownCii, ...corpusCii]
    const compare = (batch: { name: string; text: string }[]) => {
      const reference = loadPack(entry.id, ref, entry.sefPath)
      const native = createNativePack(rules, ref)
      const expected: Finding[][] = []
      for (let i = 0; i < batch.length; i += 20) expected.push(...reference.run(batch.slice(i, i + 20).map((d) => d.text)))
      const disagreements = batch.flatMap((d, i) => {
        const a = multiset(native.runText(d.text)), b = multiset(expected[i]!)
        return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${d.name}\n  native: ${a.join('\n          ')}\n  SaxonJS: ${b.join('\n           ')}`]
      })
      if (disagreements.length) console.error(disagreements.slice(0, 10).join('\n'))
      return { disagreements, findings: expected.flat().length }
    }

    test.skipIf(refusal !== null)(`our CII documents${corpusCii.length ? ' and the corpus' : ''}: identical findings`, () => {
      const { disagreements, findings } = compare(docs)
      expect(disagreements).toEqual([])
      expect(findings).toBeGreaterThanOrEqual(minFindings) // not vacuous
    })

    const perDocument = Number(process.env.FACTEUR_DIFF_VARIANTS ?? 6)
    test.skipIf(refusal !== null)(`${perDocument} seeded variants of each full document: identical findings`, () => {
      const variants = docs.filter((d) => d.full).flatMap((d, i) => variantsOf(d.text, 60_000 + i, perDocument, 'cii')
        .map((v) => ({ name: `${d.name} seed ${v.seed}: ${v.mutations.join('; ')}`, text: v.text })))
      expect(compare(variants).disagreements).toEqual([])
    })
  })
}
