// The SaxonJS run of the official EN 16931 artefacts agrees with the reference results of the shared
// corpus (`observed`: Saxon-HE on the same release). A deterministic sample here; issue 4 runs every entry.
import { describe, expect, test } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createValidator } from './validate.js'
import type { Syntax } from '../../schemas/events.js'

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url))
const available = existsSync(`${corpus}manifest.json`)
type Entry = { file: string; syntax: Syntax; layer: string; observed: { fatal: string[]; warning: string[] } }
const manifest: Entry[] = available ? JSON.parse(readFileSync(`${corpus}manifest.json`, 'utf8')) : []
// Every 6th entry of each (syntax, layer) group, starting with its first: every group, the same each run.
const seen = new Map<string, number>()
const sample = manifest.filter((e) => {
  const n = seen.get(`${e.syntax}/${e.layer}`) ?? 0
  seen.set(`${e.syntax}/${e.layer}`, n + 1)
  return n % 6 === 0
})

const validator = await createValidator()
const ids = (findings: { ruleId: string; severity: string }[], severity: string) => [...new Set(findings.filter((f) => f.severity === severity).map((f) => f.ruleId))].sort()

describe.skipIf(!available)('EN 16931 1.3.16 through SaxonJS against the corpus', () => {
  if (!available) console.warn(`../shared/corpus not found at ${corpus}: conformance sample skipped`)

  test.each(sample.map((e) => [e.file, e] as const))('%s gives the reference fatal and warning ids', (_file, entry) => {
    const xml = readFileSync(corpus + entry.file, 'utf8')
    const verdict = validator.validate(xml, entry.syntax)
    expect({ fatal: ids(verdict.findings, 'fatal'), warning: ids(verdict.findings, 'warning') })
      .toEqual({ fatal: [...new Set(entry.observed.fatal)].sort(), warning: [...new Set(entry.observed.warning)].sort() })
  })

  test('the sample covers UBL invoices, credit notes and CII, full documents and fragments', () => {
    expect(new Set(sample.map((e) => `${e.syntax}/${e.layer}`)).size).toBe(6)
  })
})

describe('verdicts', () => {
  test('a document that is not an invoice at all is INVALID, with findings, never a pass', () => {
    const verdict = validator.validate('<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>', 'ubl-invoice')
    expect(verdict.valid).toBe(false)
    expect(verdict.findings.some((f) => f.severity === 'fatal' && f.pack === 'en16931')).toBe(true)
    expect(verdict.packs).toEqual(['en16931-ubl:1.3.16'])
  })

  test('only the packs of the document’s syntax run', () => {
    expect(validator.validate('<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>', 'cii').packs).toEqual(['en16931-cii:1.3.16'])
  })
})
