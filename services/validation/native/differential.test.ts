// Differential test: the native engine against the reference (the official XSLT run by SaxonJS, the SEF
// that artefacts.ts compiled) on every entry of ../shared/corpus/manifest.json in the pack's syntaxes, full
// documents and unit-test fragments alike, and on seeded variants of every full document: values changed,
// elements moved (variantsOf), and regex-checked values given other scripts' digits, NBSP or U+2003
// (unicodeVariantsOf). Required: the same multiset of findings — rule id, severity, location and message.
// A FACTEUR-RULE-ERROR (a dynamic error aborted the rules) is compared without its message: the wording
// differs between the engines, and so can the error code for the same failure (SaxonJS's compiled
// stylesheet reports a cardinality error of xs:decimal() inside `every` as FORG0006, its XPath API and the
// spec as XPTY0004); code differences are printed, not failed.
// SaxonJS 2.7 takes some whitespace from JavaScript where XSD and F&O, which the native engine follows, have
// only the four XML spaces: its regular expressions' \s, \S and \D are JavaScript's (NBSP and U+2003 match \s,
// '٣' matches \d and \D), and it trims NBSP and U+2003 around xs:date and xs:integer values. A disagreement is
// put down to these only if it vanishes when the native engine runs with the same deviations
// (withSaxonJsQuirks in xpath/values.ts); such documents are printed, not failed.
// A disagreement prints the file (with the seed and mutations of a variant) and both answers.
// One block per pack the pipeline may run natively (native/source.ts, verifiedNativePacks: the test checks
// the two lists agree); the default engine can become native once every pack of schematron/packs.json has
// its block here, green (pipeline.ts, PipelineOptions).
import { describe, expect, test } from 'vitest'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Finding, Syntax } from '../../../schemas/events.js'
import { ensureArtefacts, loadManifest } from '../artefacts.js'
import { loadPack } from '../saxon-engine.js'
import { createNativePack } from './engine.js'
import { packRules, verifiedNativePacks } from './source.js'
import { unicodeVariantsOf, variantsOf } from './variants.js'
import { withSaxonJsQuirks } from './xpath/values.js'

const corpus = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const available = existsSync(`${corpus}manifest.json`)
/** `file` relative to the corpus folder, or `path` for a document outside it. */
type Entry = { file: string; syntax: Syntax; layer: 'full' | 'schematron'; path?: string }
const read = (e: Entry) => readFileSync(e.path ?? corpus + e.file, 'utf8')
const manifest: Entry[] = available ? JSON.parse(readFileSync(`${corpus}manifest.json`, 'utf8')) as Entry[] : []
/** Our own fr-b2g cases (schematron/fr-b2g/cases), as entries. */
const casesDir = fileURLToPath(new URL('../../../schematron/fr-b2g/cases/', import.meta.url))
const b2gCases: Entry[] = readdirSync(casesDir).filter((f) => f.endsWith('.xml'))
  .map((f) => ({ file: `schematron/fr-b2g/cases/${f}`, path: casesDir + f, syntax: f.includes('.cii.') ? 'cii' : f.includes('creditnote') ? 'ubl-creditnote' : 'ubl-invoice', layer: 'full' }))
if (!available) console.warn(`../shared/corpus not found at ${corpus}: the native/SaxonJS differential test is skipped`)
const artefacts = available ? await ensureArtefacts() : null

/** One finding as compared: everything but the line (the pipeline adds it from the location). */
function key(f: Finding): string {
  const message = f.ruleId === 'FACTEUR-RULE-ERROR' ? '' : f.message
  return JSON.stringify([f.ruleId, f.severity, f.location, message, f.pack, f.packVersion ?? null])
}
const multiset = (findings: Finding[]) => findings.map(key).sort()

// Each heavy test first yields to the event loop: long synchronous stretches starve vitest's worker RPC
// ("Timeout calling onTaskUpdate").
const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve))

type Differential = {
  id: string
  syntaxes: Syntax[]
  /** Lower bounds that keep the test from passing vacuously (a corpus that lost its files, rules that never fire). */
  minEntries: number
  minFindings: number
  /** Whether the corpus has unit-test fragments (layer `schematron`) for this syntax besides full documents. */
  fragments: boolean
  /** Seed of the first document's variants; the UBL seeds are those of phase 1, kept so its failures still reproduce. */
  firstSeed: number
  /** Documents besides the corpus. */
  extra?: Entry[]
}

const packs: Differential[] = [
  { id: 'en16931-ubl', syntaxes: ['ubl-invoice', 'ubl-creditnote'], minEntries: 300, minFindings: 500, fragments: true, firstSeed: 1 },
  { id: 'en16931-cii', syntaxes: ['cii'], minEntries: 20, minFindings: 10, fragments: true, firstSeed: 10_000 },
  // Peppol reads the document in global variables and calls xsl:functions (declarations.ts); every UBL
  // entry, EN 16931 unit-test fragments included, since Peppol's rules fire on those too.
  { id: 'peppol-bis-billing-3-ubl', syntaxes: ['ubl-invoice', 'ubl-creditnote'], minEntries: 300, minFindings: 1000, fragments: true, firstSeed: 20_000 },
  // The French CTC rules (BR-FR-*) on the same corpus: it has no French invoice, but the rules fire on
  // what French invoices must carry (SIREN, billing mode …), thousands of findings.
  { id: 'fr-ctc-ubl', syntaxes: ['ubl-invoice', 'ubl-creditnote'], minEntries: 300, minFindings: 1000, fragments: true, firstSeed: 30_000 },
  { id: 'fr-ctc-cii', syntaxes: ['cii'], minEntries: 20, minFindings: 100, fragments: true, firstSeed: 40_000 },
  // Our own Schematron, read from the .sch and run as SchXslt runs it (load-sch.ts), on its cases and on the
  // whole corpus; the variants of its cases change, drop and duplicate the SIRETs it checks.
  { id: 'fr-b2g', syntaxes: ['ubl-invoice', 'ubl-creditnote', 'cii'], minEntries: 390, minFindings: 15, fragments: true, firstSeed: 50_000, extra: b2gCases },
]

test('the packs the pipeline runs natively are exactly those tested here', () => {
  const versions = new Map(loadManifest().packs.map((p) => [p.id, p.version]))
  expect(packs.map((p) => `${p.id}:${versions.get(p.id)}`).sort()).toEqual([...verifiedNativePacks].sort())
})

for (const pack of packs) {
  const entries = [...(pack.extra ?? []), ...manifest.filter((e) => pack.syntaxes.includes(e.syntax))]
  describe.skipIf(!available)(`native engine = SaxonJS on the corpus, pack ${pack.id}`, () => {
    const resolved = artefacts?.packs.find((p) => p.id === pack.id)
    const ref = resolved ? { pack: resolved.pack, version: resolved.version } : { pack: '', version: '' }
    const reference = resolved ? loadPack(resolved.id, ref, resolved.sefPath) : null
    const native = resolved ? createNativePack(packRules(resolved), ref) : null

    test(`has ${pack.syntaxes.join('/')} entries${pack.fragments ? ', full and fragments' : ''}`, () => {
      expect(entries.length).toBeGreaterThanOrEqual(pack.minEntries)
      expect(new Set(entries.map((e) => e.layer))).toEqual(new Set(pack.fragments ? ['full', 'schematron'] : ['full']))
    })

    /** Runs both engines on `docs`, returns the disagreements as printable text, and how many findings. */
    const compare = (docs: { name: string; text: string }[]) => {
      const expected: Finding[][] = []
      for (let i = 0; i < docs.length; i += 20) expected.push(...reference!.run(docs.slice(i, i + 20).map((d) => d.text)))
      const disagreements: string[] = [], codes: string[] = [], quirks: string[] = []
      const codeOf = (fs: Finding[]) => fs.filter((f) => f.ruleId === 'FACTEUR-RULE-ERROR').map((f) => /\((\w+):/.exec(f.message)?.[1]).join()
      docs.forEach((doc, i) => {
        const got = native!.runText(doc.text)
        const a = multiset(got), b = multiset(expected[i]!)
        if (JSON.stringify(a) === JSON.stringify(b)) {
          if (codeOf(got) !== codeOf(expected[i]!)) codes.push(`${doc.name}: native ${codeOf(got) || '-'}, SaxonJS ${codeOf(expected[i]!) || '-'}`)
          return
        }
        const onlyNative = a.filter((x) => !b.includes(x)), onlySaxon = b.filter((x) => !a.includes(x))
        const report = `${doc.name}\n  native only: ${onlyNative.join('\n               ') || '(none; counts differ)'}\n  SaxonJS only: ${onlySaxon.join('\n               ') || '(none; counts differ)'}`
        if (JSON.stringify(multiset(withSaxonJsQuirks(() => native!.runText(doc.text)))) === JSON.stringify(b)) quirks.push(report)
        else disagreements.push(report)
      })
      if (quirks.length) console.warn(`${quirks.length} of ${docs.length} disagree only by SaxonJS's whitespace deviations (see the top of this file):\n${quirks.slice(0, 5).join('\n')}`)
      if (codes.length) console.warn(`rule errors with different codes (same verdict):\n${codes.join('\n')}`)
      if (disagreements.length) console.error(`${disagreements.length} of ${docs.length} disagree:\n${disagreements.slice(0, 20).join('\n')}`)
      return { disagreements, findings: expected.flat().length, quirks: quirks.length }
    }

    test(`every ${pack.syntaxes.join('/')} entry: identical findings`, async () => {
      await yieldToEventLoop()
      const { disagreements, findings } = compare(entries.map((e) => ({ name: e.file, text: read(e) })))
      expect(disagreements).toEqual([])
      expect(findings).toBeGreaterThanOrEqual(pack.minFindings) // not vacuous: the corpus makes the rules fire
    })

    // Seeded variants of every full document (variants.ts, with the values of the document's syntax);
    // FACTEUR_DIFF_VARIANTS per document, 6 by default (30 gives about 2 000 UBL documents, 2-3 minutes).
    // One test per document keeps each test short.
    const perDocument = Number(process.env.FACTEUR_DIFF_VARIANTS ?? 6)
    const full = entries.filter((e) => e.layer === 'full')
    test.each(full.map((e, i) => [e.file, pack.firstSeed + i, e] as const))(`${perDocument} seeded variants of %s (seed %i): identical findings`, async (file, seed, entry) => {
      await yieldToEventLoop()
      const docs = variantsOf(read(entry), seed, perDocument, entry.syntax)
        .map((v) => ({ name: `${file} seed ${v.seed}: ${v.mutations.join('; ')}`, text: v.text }))
      expect(compare(docs).disagreements).toEqual([])
    })

    // Variants with digits of other scripts and NBSP / U+2003 in the values the rules test with regular
    // expressions (variants.ts, unicodeVariantsOf); FACTEUR_DIFF_UNICODE_VARIANTS per document, 3 by default.
    const perDocumentUnicode = Number(process.env.FACTEUR_DIFF_UNICODE_VARIANTS ?? 3)
    test.each(full.map((e, i) => [e.file, pack.firstSeed + i, e] as const))(`${perDocumentUnicode} variants of %s with other digits and spaces (seed %i): identical findings`, async (file, seed, entry) => {
      await yieldToEventLoop()
      const docs = unicodeVariantsOf(read(entry), seed, perDocumentUnicode)
        .map((v) => ({ name: `${file} seed ${v.seed}: ${v.mutations.join('; ')}`, text: v.text }))
      expect(compare(docs).disagreements).toEqual([])
    })
  })
}
