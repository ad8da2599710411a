// Differential test against Saxon-HE for Java, for the packs SaxonJS cannot run (native/source.ts,
// verifiedAgainstJava: the EXTENDED-CTC-FR rules stop SaxonJS 2 on an XPTY0004 Saxon-HE does not raise), which
// the pipeline runs natively whatever engine is chosen. The native engine and Saxon-HE 12 (test/saxon-he.ts)
// run the pack's official XSLT on the same documents: every entry of ../shared/corpus/manifest.json in the
// pack's syntaxes and our own fixtures (test/fixtures), each with its BT-24 rewritten to EXTENDED-CTC-FR, and
// seeded variants of every full one (variantsOf, unicodeVariantsOf). Required: the same multiset of
// findings — rule id, severity and location (both in the XSLT's own location form, as SVRL gives it); a
// FACTEUR-RULE-ERROR (a dynamic error aborted the rules) counts as one finding, whatever its code and wording.
// Messages are compared too, and documents whose findings agree but whose messages differ are printed, not failed.
// A disagreement prints the file (with the seed and mutations of a variant) and both answers.
// Saxon-HE runs once per pack over every document (a small harness below: the XSLT compiled once, one SVRL
// file per document); the Java part's time is printed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { performance } from 'node:perf_hooks'
import type { Finding, Syntax } from '../../../schemas/events.js'
import { ensureArtefacts, loadManifest } from '../artefacts.js'
import { createPipeline, type Engine } from '../pipeline.js'
import { parseSvrl, ruleErrorFinding } from '../findings.js'
import { createNativePack } from './engine.js'
import { officialXslt, packRules, verifiedAgainstJava } from './source.js'
import { unicodeVariantsOf, variantsOf } from './variants.js'
import { prepareSaxonHe, saxonHeAvailable } from '../../../test/saxon-he.js'

const EXTENDED_CTC_FR = 'urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr'

/** The document with its BT-24 (CII GuidelineSpecifiedDocumentContextParameter/ID, UBL CustomizationID) set to `id`. */
function withSpecification(text: string, syntax: Syntax, id = EXTENDED_CTC_FR): string {
  return syntax === 'cii'
    ? text.replace(/(<(?:[\w.-]+:)?GuidelineSpecifiedDocumentContextParameter\b[^>]*>\s*<((?:[\w.-]+:)?ID)\b[^>]*>)[^<]*(<\/\2>)/, `$1${id}$3`)
    : text.replace(/(<((?:[\w.-]+:)?CustomizationID)\b[^>]*>)[^<]*(<\/\2>)/, `$1${id}$3`)
}

const javaHarness = `import net.sf.saxon.s9api.*;
import javax.xml.transform.stream.StreamSource;
import java.io.*;
import java.nio.file.*;
import java.util.*;

// args: the stylesheet, a file listing the documents (one path a line), the output folder. The stylesheet is
// compiled once; document i gives <out>/i.svrl, or <out>/i.error (code and message) when the rules stop on a
// dynamic error. Prints the milliseconds of the compilation and of the transforms.
public class SaxonSvrl {
  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    Processor proc = new Processor(false);
    XsltExecutable sheet = proc.newXsltCompiler().compile(new StreamSource(new File(args[0])));
    long t1 = System.nanoTime();
    DocumentBuilder builder = proc.newDocumentBuilder();
    List<String> docs = Files.readAllLines(Paths.get(args[1]));
    for (int i = 0; i < docs.size(); i++) {
      try {
        XdmNode node = builder.build(new File(docs.get(i)));
        Xslt30Transformer t = sheet.load30();
        t.setGlobalContextItem(node);
        ByteArrayOutputStream svrl = new ByteArrayOutputStream();
        t.applyTemplates(node, proc.newSerializer(svrl));
        Files.write(Paths.get(args[2], i + ".svrl"), svrl.toByteArray());
      } catch (SaxonApiException e) {
        String code = e.getErrorCode() == null ? "ERROR" : e.getErrorCode().getLocalName();
        Files.writeString(Paths.get(args[2], i + ".error"), code + "\\n" + e.getMessage());
      }
    }
    System.out.println((t1 - t0) / 1000000 + " " + (System.nanoTime() - t1) / 1000000);
  }
}
`

const corpus = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const fixtures = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url))
type Entry = { file: string; syntax: Syntax; layer: 'full' | 'schematron' }
const corpusFound = existsSync(`${corpus}manifest.json`)
const manifest: Entry[] = corpusFound ? JSON.parse(readFileSync(`${corpus}manifest.json`, 'utf8')) as Entry[] : []
const java = saxonHeAvailable()
if (!corpusFound) console.warn(`../shared/corpus not found at ${corpus}: the native/Saxon-HE Java differential test runs on our fixtures only`)
if (!java.ok) console.warn(`the native/Saxon-HE Java differential test is skipped: ${java.reason}`)
const artefacts = java.ok ? await ensureArtefacts() : null

/** One finding as compared: rule id, severity and location (with the pack); with its message too for `withMessages`. */
const key = (f: Finding, withMessages: boolean) => JSON.stringify([f.ruleId, f.severity, f.location, withMessages && f.ruleId !== 'FACTEUR-RULE-ERROR' ? f.message : '', f.pack, f.packVersion ?? null])
const multiset = (findings: Finding[], withMessages = false) => findings.map((f) => key(f, withMessages)).sort()
const same = (a: string[], b: string[]) => JSON.stringify(a) === JSON.stringify(b)
/** The findings of `a` not in `b`, printable. */
const only = (a: string[], b: string[], indent: string) => a.filter((x) => !b.includes(x)).join(`\n${indent}`) || '(none; counts differ)'
const yieldToEventLoop = () => new Promise((resolve) => setImmediate(resolve))

type Doc = { name: string; text: string }
type JavaDifferential = {
  id: string; syntaxes: Syntax[]; fixtures: string[]; firstSeed: number
  /** Lower bounds that keep the test from passing vacuously (a corpus that lost its files, rules that never fire). */
  minDocuments: number; minFindings: number
}
const packs: JavaDifferential[] = [
  { id: 'fr-extended-ctc-cii', syntaxes: ['cii'], fixtures: ['cii-invoice.xml'], firstSeed: 60_000, minDocuments: corpusFound ? 200 : 1, minFindings: corpusFound ? 300 : 0 },
  { id: 'fr-extended-ctc-ubl', syntaxes: ['ubl-invoice', 'ubl-creditnote'], fixtures: ['ubl-invoice.xml', 'ubl-creditnote.xml'], firstSeed: 70_000, minDocuments: corpusFound ? 900 : 1, minFindings: corpusFound ? 2000 : 0 },
]

test('the packs verified against Saxon-HE for Java are exactly those tested here', () => {
  const versions = new Map(loadManifest().packs.map((p) => [p.id, p.version]))
  expect(packs.map((p) => `${p.id}:${versions.get(p.id)}`).sort()).toEqual([...verifiedAgainstJava].sort())
})

const variantsPerDocument = Number(process.env.FACTEUR_DIFF_VARIANTS ?? 6)
const unicodeVariantsPerDocument = Number(process.env.FACTEUR_DIFF_UNICODE_VARIANTS ?? 3)
const workDir = mkdtempSync(join(tmpdir(), 'facteur-java-differential-'))
afterAll(() => rmSync(workDir, { recursive: true, force: true }))
let classpath: Promise<string> | undefined

for (const pack of packs) {
  // The documents, by group (one test each): the rewritten corpus entries and fixtures, then the variants of each full one.
  const entries = [
    ...pack.fixtures.map((f) => ({ name: `test/fixtures/${f}`, text: readFileSync(fixtures + f, 'utf8'), full: true })),
    ...manifest.filter((e) => pack.syntaxes.includes(e.syntax)).map((e) => ({ name: e.file, text: readFileSync(corpus + e.file, 'utf8'), full: e.layer === 'full' })),
  ].map((d) => ({ ...d, text: withSpecification(d.text, pack.syntaxes[0]!) }))
  const groups: { name: string; docs: Doc[] }[] = [
    { name: `every ${pack.syntaxes.join('/')} entry and our fixtures, as EXTENDED-CTC-FR`, docs: entries },
    ...entries.filter((e) => e.full).map((e, i) => ({
      name: `${variantsPerDocument}+${unicodeVariantsPerDocument} seeded variants of ${e.name} (seed ${pack.firstSeed + i})`,
      docs: [...variantsOf(e.text, pack.firstSeed + i, variantsPerDocument, pack.syntaxes[0]), ...unicodeVariantsOf(e.text, pack.firstSeed + i, unicodeVariantsPerDocument)]
        .map((v) => ({ name: `${e.name} seed ${v.seed}: ${v.mutations.join('; ')}`, text: v.text })),
    })),
  ]
  const docs = groups.flatMap((g) => g.docs)

  describe.skipIf(!java.ok)(`native engine = Saxon-HE for Java, pack ${pack.id}`, () => {
    const resolved = artefacts?.packs.find((p) => p.id === pack.id)
    const ref = { pack: resolved?.pack ?? '', version: resolved?.version ?? '' }
    let reference: Finding[][] = []

    // Saxon-HE once over every document of the pack.
    beforeAll(async () => {
      const started = performance.now()
      classpath ??= (async () => {
        const built = prepareSaxonHe(workDir, { SaxonSvrl: javaHarness }, console.log)
        if ('skip' in built) throw new Error(`Saxon-HE for Java cannot run: ${built.skip}`)
        return built.classpath
      })()
      const dir = join(workDir, pack.id)
      mkdirSync(join(dir, 'out'), { recursive: true })
      writeFileSync(join(dir, 'pack.xslt'), officialXslt(pack.id).xslt)
      docs.forEach((d, i) => writeFileSync(join(dir, `${i}.xml`), d.text))
      writeFileSync(join(dir, 'documents.txt'), docs.map((_, i) => join(dir, `${i}.xml`)).join('\n'))
      const { stdout } = await promisify(execFile)('java', ['-cp', await classpath, 'SaxonSvrl', join(dir, 'pack.xslt'), join(dir, 'documents.txt'), join(dir, 'out')], { maxBuffer: 16 * 1024 * 1024 })
      const [compileMs, transformMs] = stdout.trim().split(' ')
      reference = docs.map((_, i) => {
        const svrl = join(dir, 'out', `${i}.svrl`)
        if (existsSync(svrl)) return parseSvrl(readFileSync(svrl, 'utf8'), ref)
        const [code, ...message] = readFileSync(join(dir, 'out', `${i}.error`), 'utf8').split('\n')
        return [ruleErrorFinding(ref, { code, message: message.join(' ') })]
      })
      const errors = reference.filter((fs) => fs.some((f) => f.ruleId === 'FACTEUR-RULE-ERROR')).length
      console.log(`${pack.id}: Saxon-HE for Java on ${docs.length} documents (${reference.flat().length} findings, ${errors} stopped on a dynamic error) ` +
        `in ${((performance.now() - started) / 1000).toFixed(1)} s: stylesheet compiled in ${compileMs} ms, transforms ${transformMs} ms; the rest is javac, the JVM and the files`)
    }, 180_000)

    const native = resolved ? createNativePack(packRules(resolved), ref) : null
    test.each(groups.map((g) => [g.name, g] as const))('%s: identical findings', async (_name, group) => {
      await yieldToEventLoop()
      const offset = docs.indexOf(group.docs[0]!)
      const disagreements: string[] = [], messages: string[] = [], codes: string[] = []
      const codeOf = (fs: Finding[]) => fs.filter((f) => f.ruleId === 'FACTEUR-RULE-ERROR').map((f) => /\((\w+):/.exec(f.message)?.[1]).join()
      group.docs.forEach((doc, i) => {
        const got = native!.runText(doc.text), expected = reference[offset + i]!
        for (const withMessages of [false, true]) {
          const a = multiset(got, withMessages), b = multiset(expected, withMessages)
          if (same(a, b)) continue
          ;(withMessages ? messages : disagreements).push(`${doc.name}\n  native only: ${only(a, b, ' '.repeat(15))}\n  Saxon-HE only: ${only(b, a, ' '.repeat(17))}`)
          break
        }
        if (codeOf(got) !== codeOf(expected)) codes.push(`${doc.name}: native ${codeOf(got) || '-'}, Saxon-HE ${codeOf(expected) || '-'}`)
      })
      // Messages and error codes are printed, not failed: the findings (rule, severity, location) are what is required.
      if (messages.length) console.warn(`${messages.length} of ${group.docs.length} have the same findings with other messages:\n${messages.slice(0, 3).join('\n')}`)
      if (codes.length) console.warn(`rule errors with different codes (same verdict):\n${codes.join('\n')}`)
      if (disagreements.length) console.error(`${disagreements.length} of ${group.docs.length} disagree:\n${disagreements.slice(0, 20).join('\n')}`)
      expect(disagreements).toEqual([])
    })

    test('not vacuous: enough documents, the rules fire, the fixtures pass', () => {
      expect(docs.length).toBeGreaterThanOrEqual(pack.minDocuments)
      expect(reference.flat().length).toBeGreaterThanOrEqual(pack.minFindings)
      for (const [i, f] of pack.fixtures.entries()) expect(reference[i]!.filter((x) => x.severity === 'fatal'), f).toEqual([])
    })
  })
}

// End to end: the pipeline chooses the pack from BT-24 and runs it natively, with either engine setting.
describe('an EXTENDED-CTC-FR invoice through the pipeline', async () => {
  const resolvedArtefacts = artefacts ?? await ensureArtefacts()
  const cii = withSpecification(readFileSync(`${fixtures}cii-invoice.xml`, 'utf8'), 'cii')
  const brokenTotal = cii.replace('<ram:GrandTotalAmount>1440.00</ram:GrandTotalAmount>', '<ram:GrandTotalAmount>1450.00</ram:GrandTotalAmount>')
  test.each([undefined, 'saxonjs'] as (Engine | undefined)[])('engine %s: its pack instead of EN 16931 core, natively; a broken total fails BR-FREXT-CO-15', (engine) => {
    const pipeline = createPipeline(resolvedArtefacts, { engine, lazy: true })
    const [valid, broken] = pipeline.validateBatch([{ text: cii }, { text: brokenTotal }])
    // and fr-b2g: the fixture's buyer has a SIRET
    expect(valid).toMatchObject({ valid: true, syntax: 'cii', ran: ['xsd:cii', 'fr-extended-ctc-cii:1.3.0@native', expect.stringMatching(/^fr-b2g:1\.0\.0/)], findings: [] })
    expect(broken!.valid).toBe(false)
    expect(broken!.ran).toEqual(valid!.ran)
    expect(broken!.findings.map((f) => [f.ruleId, f.severity, f.pack])).toEqual(expect.arrayContaining([['BR-FREXT-CO-15', 'fatal', 'fr-extended-ctc']]))
    const info = pipeline.packs.find((p) => p.id === 'fr-extended-ctc-cii')
    expect(info).toMatchObject({ engine: 'native' })
    if (engine === 'saxonjs') expect(info!.fallback).toMatch(/SaxonJS cannot run .*Saxon-HE for Java/)
    else expect(info!.fallback).toBeUndefined()
  })
})
