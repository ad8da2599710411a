// Conformance: every entry of ../shared/corpus/manifest.json through the worker pool, in agreement with the
// reference results (`observed`: the official EN 16931 1.3.16 artefacts on Saxon-HE). Full documents go
// through the complete pipeline (XML schema, then the packs the document calls for); the unit-test
// fragments through the EN 16931 pack alone, without the schema. Compared: the EN 16931 fatal and warning
// rule ids (other packs' findings are not part of `observed`), and no schema error on a full document.
import { afterAll, describe, expect, test } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createValidationPool } from './pool.js'
import type { Syntax } from '../../schemas/events.js'

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url))
const available = existsSync(`${corpus}manifest.json`)
type Entry = { file: string; syntax: Syntax; layer: 'full' | 'schematron'; observed: { fatal: string[]; warning: string[] } }
const manifest: Entry[] = available ? JSON.parse(readFileSync(`${corpus}manifest.json`, 'utf8')) : []
if (!available) console.warn(`../shared/corpus not found at ${corpus}: the conformance test is skipped (it runs in CI)`)

// Both engines: native (the default) and SaxonJS (the reference running the official XSLT).
const pools = available ? { native: await createValidationPool({ engine: 'native' }), saxonjs: await createValidationPool({ engine: 'saxonjs' }) } : null
afterAll(async () => { await pools?.native.close(); await pools?.saxonjs.close() })
const ids = (findings: { ruleId: string; severity: string; pack: string | null }[], severity: string) =>
  [...new Set(findings.filter((f) => f.severity === severity && f.pack === 'en16931').map((f) => f.ruleId))].sort()

describe.skipIf(!available).each(['native', 'saxonjs'] as const)('the shared conformance corpus, every entry, engine %s', (engine) => {
  test('covers UBL invoices, credit notes and CII, full documents and fragments', () => {
    expect(new Set(manifest.map((e) => `${e.syntax}/${e.layer}`)).size).toBe(6)
    expect(manifest.length).toBeGreaterThan(300)
  })

  test.concurrent.each(manifest.map((e) => [e.file, e] as const))('%s', async (_file, entry) => {
    const text = readFileSync(corpus + entry.file, 'utf8')
    const verdict = await pools![engine].validate(entry.layer === 'full'
      ? { text, syntax: entry.syntax }
      : { text, syntax: entry.syntax, packs: ['en16931'], skipSchema: true })
    if (entry.layer === 'full') expect(verdict.findings.filter((f) => f.pack === 'xsd')).toEqual([])
    const en16931 = entry.syntax === 'cii' ? 'en16931-cii:1.3.16' : 'en16931-ubl:1.3.16'
    expect(verdict.ran).toContain(engine === 'native' ? `${en16931}@native` : en16931)
    expect({ fatal: ids(verdict.findings, 'fatal'), warning: ids(verdict.findings, 'warning') })
      .toEqual({ fatal: [...new Set(entry.observed.fatal)].sort(), warning: [...new Set(entry.observed.warning)].sort() })
  })
})
