// Differential test: the native engine against the reference (the official XSLT run by SaxonJS, the SEF
// that artefacts.ts compiled) on every UBL entry of ../shared/corpus/manifest.json, full documents and
// unit-test fragments alike. Required: the same multiset of findings — rule id, severity, location and
// message. A FACTEUR-RULE-ERROR (a dynamic error aborted the rules) is compared without its message: the
// wording differs between the engines, and so can the error code for the same failure (SaxonJS's compiled
// stylesheet reports a cardinality error of xs:decimal() inside `every` as FORG0006, its XPath API and the
// spec as XPTY0004); code differences are printed, not failed.
// A disagreement prints the file (with the seed and mutations of a variant) and both answers.
import { describe, expect, test } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Finding } from '../../../schemas/events.js'
import { ensureArtefacts } from '../artefacts.js'
import { loadPack } from '../saxon-engine.js'
import { createNativePack } from './engine.js'
import { officialRules } from './source.js'
import { variantsOf } from './variants.js'

const corpus = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const available = existsSync(`${corpus}manifest.json`)
type Entry = { file: string; syntax: string; layer: 'full' | 'schematron' }
const entries: Entry[] = available
  ? (JSON.parse(readFileSync(`${corpus}manifest.json`, 'utf8')) as Entry[]).filter((e) => e.syntax === 'ubl-invoice' || e.syntax === 'ubl-creditnote')
  : []
if (!available) console.warn(`../shared/corpus not found at ${corpus}: the native/SaxonJS differential test is skipped`)

/** One finding as compared: everything but the line (the pipeline adds it from the location). */
function key(f: Finding): string {
  const message = f.ruleId === 'FACTEUR-RULE-ERROR' ? '' : f.message
  return JSON.stringify([f.ruleId, f.severity, f.location, message, f.pack, f.packVersion ?? null])
}
const multiset = (findings: Finding[]) => findings.map(key).sort()

describe.skipIf(!available)('native engine = SaxonJS on the corpus, pack en16931-ubl', async () => {
  const artefacts = available ? await ensureArtefacts() : null
  const resolved = artefacts?.packs.find((p) => p.id === 'en16931-ubl')
  const ref = { pack: 'en16931', version: '1.3.16' }

  test('has UBL entries, full and fragments', () => {
    expect(entries.length).toBeGreaterThan(300)
    expect(new Set(entries.map((e) => e.layer))).toEqual(new Set(['full', 'schematron']))
  })

  const reference = resolved ? loadPack(resolved.id, ref, resolved.sefPath) : null
  const native = available ? createNativePack(officialRules('en16931-ubl').rules, ref) : null

  /** Runs both engines on `docs`, returns the disagreements as printable text, and how many findings. */
  const compare = (docs: { name: string; text: string }[]) => {
    const expected: Finding[][] = []
    for (let i = 0; i < docs.length; i += 20) expected.push(...reference!.run(docs.slice(i, i + 20).map((d) => d.text)))
    const disagreements: string[] = [], codes: string[] = []
    const codeOf = (fs: Finding[]) => fs.filter((f) => f.ruleId === 'FACTEUR-RULE-ERROR').map((f) => /\((\w+):/.exec(f.message)?.[1]).join()
    docs.forEach((doc, i) => {
      const got = native!.runText(doc.text)
      if (codeOf(got) !== codeOf(expected[i]!)) codes.push(`${doc.name}: native ${codeOf(got) || '-'}, SaxonJS ${codeOf(expected[i]!) || '-'}`)
      const a = multiset(got), b = multiset(expected[i]!)
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        const onlyNative = a.filter((x) => !b.includes(x)), onlySaxon = b.filter((x) => !a.includes(x))
        disagreements.push(`${doc.name}\n  native only: ${onlyNative.join('\n               ') || '(none; counts differ)'}\n  SaxonJS only: ${onlySaxon.join('\n               ') || '(none; counts differ)'}`)
      }
    })
    if (codes.length) console.warn(`rule errors with different codes (same verdict):\n${codes.join('\n')}`)
    if (disagreements.length) console.error(`${disagreements.length} of ${docs.length} disagree:\n${disagreements.slice(0, 20).join('\n')}`)
    return { disagreements, findings: expected.flat().length }
  }

  // Each heavy test first yields to the event loop: long synchronous stretches starve vitest's worker RPC
  // ("Timeout calling onTaskUpdate").
  const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve))

  test('every UBL entry: identical findings', async () => {
    await yieldToEventLoop()
    const { disagreements, findings } = compare(entries.map((e) => ({ name: e.file, text: readFileSync(corpus + e.file, 'utf8') })))
    expect(disagreements).toEqual([])
    expect(findings).toBeGreaterThan(500) // not vacuous: the corpus makes the rules fire
  })

  // Seeded variants of every full UBL document (variants.ts); FACTEUR_DIFF_VARIANTS per document, 6 by
  // default (30 gives about 2 000 documents, 2-3 minutes). One test per document keeps each test short.
  const perDocument = Number(process.env.FACTEUR_DIFF_VARIANTS ?? 6)
  const full = entries.filter((e) => e.layer === 'full')
  test.each(full.map((e, i) => [e.file, i + 1] as const))(`${perDocument} seeded variants of %s (seed %i): identical findings`, async (file, seed) => {
    await yieldToEventLoop()
    const docs = variantsOf(readFileSync(corpus + file, 'utf8'), seed, perDocument)
      .map((v) => ({ name: `${file} seed ${v.seed}: ${v.mutations.join('; ')}`, text: v.text }))
    expect(compare(docs).disagreements).toEqual([])
  })
})
