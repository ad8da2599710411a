// The whole validation pipeline of a worker (schema → packs → findings with lines), run in this thread on
// our own fixture documents: test/fixtures (the hub's end-to-end documents) and schematron/fr-b2g/cases.
import { describe, expect, test } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ensureArtefacts } from './artefacts.js'
import { createPipeline, type Job } from './pipeline.js'
import type { Syntax } from '../../schemas/events.js'

const artefacts = await ensureArtefacts()
// The same expectations hold for both engines: native (the default) and SaxonJS (the reference).
for (const engine of ['native', 'saxonjs'] as const) {
const pipeline = createPipeline(artefacts, { engine })
const label = (id: string) => (engine === 'native' ? `${id}@native` : id)
const one = (job: Job) => pipeline.validateBatch([job])[0]!
const ids = (v: { findings: { ruleId: string; severity: string }[] }, severity: string) => [...new Set(v.findings.filter((f) => f.severity === severity).map((f) => f.ruleId))].sort()

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url))
type Fixture = { file: string; syntax: Syntax; expect: { outcome: string; fatal: string[]; warning: string[] } }
const fixtureManifest = JSON.parse(readFileSync(`${fixtures}manifest.json`, 'utf8')) as Fixture[]

describe(`${engine}: our fixture documents through the complete pipeline`, () => {
  test.each(fixtureManifest.map((f) => [f.file, f] as const))('%s', (file, f) => {
    const v = one({ text: readFileSync(fixtures + file, 'utf8') })
    expect(v.syntax).toBe(f.syntax)
    expect({ valid: v.valid, fatal: ids(v, 'fatal'), warning: ids(v, 'warning') })
      .toEqual({ valid: f.expect.outcome === 'valid', fatal: f.expect.fatal, warning: f.expect.warning })
    expect(v.ran[0]).toBe(`xsd:${f.syntax}`)
    expect(v.ran).toContain(label(f.syntax === 'cii' ? 'en16931-cii:1.3.16' : 'en16931-ubl:1.3.16'))
  })

  test('the findings of an invalid document carry the pack, its version and the line', () => {
    const v = one({ text: readFileSync(`${fixtures}ubl-invoice-invalid-totals.xml`, 'utf8') })
    const f = v.findings.find((x) => x.ruleId === 'BR-CO-15')!
    expect(f).toMatchObject({ severity: 'fatal', pack: 'en16931', packVersion: '1.3.16' })
    expect(f.line).toBeGreaterThan(1)
  })
})

const casesDir = fileURLToPath(new URL('../../schematron/fr-b2g/cases/', import.meta.url))
const cases = readdirSync(casesDir).filter((f) => f.endsWith('.xml'))

describe(`${engine}: fr-b2g, our own Schematron: each rule fires on its .ko cases and on no .ok case`, () => {
  test('there are ok and ko cases for every rule in both syntaxes', () => {
    const rules = new Set(cases.map((c) => c.split('.')[0]))
    for (const rule of rules) for (const s of ['ubl', 'cii']) for (const k of ['ok', 'ko']) expect(cases).toContain(`${rule}.${s}.${k}.xml`)
    expect(rules.size).toBeGreaterThanOrEqual(4)
  })

  test.each(cases.map((c) => [c] as const))('%s', (file) => {
    const v = one({ text: readFileSync(casesDir + file, 'utf8') })
    expect(v.ran).toContain(label('fr-b2g:1.0.0'))
    expect(v.findings.filter((f) => f.pack !== 'fr-b2g' && f.severity === 'fatal')).toEqual([])
    const fired = [...new Set(v.findings.filter((f) => f.pack === 'fr-b2g').map((f) => f.ruleId))]
    if (file.endsWith('.ko.xml')) expect(fired).toEqual([file.split('.')[0]])
    else expect(fired).toEqual([])
  })
})

describe(`${engine}: layers and failures`, () => {
  const ubl = readFileSync(`${fixtures}ubl-invoice.xml`, 'utf8')
  const cii = readFileSync(`${fixtures}cii-invoice.xml`, 'utf8')

  test('a schema error rejects with the libxml message and its line, before any Schematron runs', () => {
    const text = ubl.replace('<cbc:IssueDate>', '<cbc:Unexpected>x</cbc:Unexpected><cbc:IssueDate>')
    const v = one({ text })
    expect(v.valid).toBe(false)
    expect(v.ran).toEqual(['xsd:ubl-invoice'])
    expect(v.findings[0]).toMatchObject({ ruleId: 'FACTEUR-XSD', severity: 'fatal', pack: 'xsd' })
    expect(v.findings[0]!.message).toContain('Unexpected')
    expect(v.findings[0]!.line).toBe(text.split('\n').findIndex((l) => l.includes('<cbc:Unexpected>')) + 1)
  })

  test('--skip-schema runs the rules on a fragment that is not schema-complete', () => {
    const v = one({ text: ubl.replace('<cbc:IssueDate>', '<cbc:Unexpected>x</cbc:Unexpected><cbc:IssueDate>'), skipSchema: true, packs: ['en16931'] })
    expect(v.ran).toEqual([label('en16931-ubl:1.3.16')])
  })

  test.each([
    ['a duplicated country code', 'XPTY0004', (t: string) => t.replace(/(<ram:CountryID>FR<\/ram:CountryID>)/, '$1$1')],
    ['an empty amount', 'FORG0001', (t: string) => t.replace(/<ram:LineTotalAmount>[^<]*</, '<ram:LineTotalAmount><')],
  ])('a dynamic error of the official CII rules on %s is a fatal finding naming %s, never a pass', (_what, code, mutate) => {
    const text = mutate(cii)
    expect(text).not.toBe(cii)
    const v = one({ text, skipSchema: true, packs: ['en16931'] })
    expect(v.valid).toBe(false)
    const error = v.findings.find((f) => f.ruleId === 'FACTEUR-RULE-ERROR')
    expect(error?.message).toContain(code)
  })

  test('one bad document in a batch does not spoil the others', () => {
    const bad = cii.replace(/(<ram:CountryID>FR<\/ram:CountryID>)/, '$1$1')
    const verdicts = pipeline.validateBatch([{ text: cii, skipSchema: true, packs: ['en16931'] }, { text: bad, skipSchema: true, packs: ['en16931'] }, { text: cii, skipSchema: true, packs: ['en16931'] }])
    expect(verdicts.map((v) => v.valid)).toEqual([true, false, true])
  })

  test('not XML, or not an invoice: a fatal finding, never a crash', () => {
    expect(one({ text: '<Invoice><unclosed>' }).findings[0]).toMatchObject({ ruleId: 'FACTEUR-XML-MALFORMED', severity: 'fatal' })
    expect(one({ text: '<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>' }).findings[0]).toMatchObject({ ruleId: 'FACTEUR-SYNTAX-UNSUPPORTED' })
  })

  test('every pack is listed with its version', () => {
    expect(pipeline.packs.map((p) => `${p.pack}:${p.version}`)).toEqual(expect.arrayContaining(['en16931:1.3.16', 'peppol-bis-billing-3:2025.11', 'fr-ctc:1.3.0', 'fr-b2g:1.0.0']))
  })
})
}

describe('lazy: packs and schemas loaded as documents call for them (the CLI)', () => {
  test('the same verdicts as loading everything, and only the packs needed are loaded', () => {
    const lazy = createPipeline(artefacts, { lazy: true })
    expect(lazy.packs).toEqual([])
    const eager = createPipeline(artefacts)
    const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url))
    const text = readFileSync(`${fixtures}ubl-invoice.xml`, 'utf8')
    expect(lazy.validateBatch([{ text }])).toEqual(eager.validateBatch([{ text }]))
    expect(lazy.packs.map((p) => `${p.id}@${p.engine}`)).toEqual(['en16931-ubl@native', 'fr-b2g@native'])
  })
})

