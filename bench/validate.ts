// Validation throughput benchmark: `npm run bench [-- --only ubl|cii] [--engine native|saxonjs] [--rounds N] [--json]`.
// It measures the worker pool the service uses (services/validation/pool.ts), schema layer included, over
// the example invoices of ../shared/corpus/examples. It prints numbers, not pass/fail.
//
// Engines (issue 6): every scenario runs on both rule engines in the same run, on the same files, and the
// table puts them side by side with the ratio native/SaxonJS. With `native`, a pack the native engine may not
// run (not loadable, or not verified by the differential test) runs on SaxonJS: the last line says which
// engine ran each pack.
//
// Modes (one pool per mode and engine, created in turn so only one is alive at a time):
//   a  1 worker, one document at a time   pool size 1, maxBatch 1, each document awaited before the next
//   b  1 worker, batched                  pool size 1, default maxBatch, every document submitted at once
//   c  pool (N workers = cores), batched  pool of default size, every document submitted at once
// Columns:
//   docs/s   documents / wall time of the timed run (all rounds)
//   ms/doc   wall time / documents; in (a) this is the mean latency, in (b)/(c) it is the inverse throughput
//   p50,p95  per-document latency (submission → verdict), measured in (a) only. Under queueing (b, c) that
//            time mostly measures the wait in the queue, so those rows repeat the (a) figures in brackets.
//   rounds   passes over the file set in the timed run; wall s = its duration
// Before timing, each pool does one untimed pass over the set (JIT, SaxonJS and libxml2 warm-up); unless
// --rounds is given, more untimed passes size the timed run (at least 3 rounds, about 3 s).
//
// Then "rules only, one core": the rule engines alone, no pool and no XML schema, one document at a time
// (parse + every pack of the scenario): native and SaxonJS in this process, and Java Saxon-HE (the engine
// operators compare with) in a JVM, when java and javac are on the PATH (--no-java skips it). Saxon-HE
// comes from Maven Central (net.sf.saxon:Saxon-HE, pinned in test/saxon-he.ts) through Maven, like the packs;
// the small harness is Java source in this file, compiled into a temporary folder at each run, never committed.
// Each engine warms up (3 passes and 3 s), then times at least 3 passes and 3 s; docs/s = 1000 / mean ms.
import { readdirSync, readFileSync, existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { cpus, availableParallelism, tmpdir } from 'node:os'
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { ensureArtefacts, loadManifest } from '../services/validation/artefacts.js'
import { createValidationPool, type Pool } from '../services/validation/pool.js'
import { engines, type Engine, type Job } from '../services/validation/pipeline.js'
import { syntaxOfRoot } from '../schemas/syntaxes.js'
import { loadPack } from '../services/validation/saxon-engine.js'
import { createNativePack } from '../services/validation/native/engine.js'
import { officialXslt, packRules } from '../services/validation/native/source.js'
import { buildTree } from '../services/validation/native/xpath/tree.js'
import { parseXml } from '../services/validation/xml.js'
import { prepareSaxonHe, SAXON_HE } from '../test/saxon-he.js'

type Family = 'ubl' | 'cii'
type Mode = { key: 'a' | 'b' | 'c'; label: string; size?: number; maxBatch?: number; sequential: boolean }
type Result = {
  syntax: Family; packs: string; engine: Engine; ran: string; mode: string; docs: number; rounds: number; wallS: number
  docsPerS: number; msPerDoc: number; p50: number; p95: number; latencyFrom: 'a'; workerHeapMB: number[]; rssMB: number
}

const { values: args } = parseArgs({ options: { only: { type: 'string' }, engine: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'boolean', default: false }, 'no-java': { type: 'boolean', default: false } } })
if (args.only !== undefined && args.only !== 'ubl' && args.only !== 'cii') fail(`--only takes ubl or cii, not ${args.only}`)
if (args.engine !== undefined && !(engines as readonly string[]).includes(args.engine)) fail(`--engine takes ${engines.join(' or ')}, not ${args.engine}`)
// SaxonJS first: the reference, then the engine compared with it.
const ENGINES: Engine[] = args.engine ? [args.engine as Engine] : ['saxonjs', 'native']
const fixedRounds = args.rounds === undefined ? undefined : Number(args.rounds)
if (fixedRounds !== undefined && !(Number.isInteger(fixedRounds) && fixedRounds > 0)) fail(`--rounds takes a positive integer, not ${args.rounds}`)
const TARGET_MS = 3000
// In --json mode stdout carries only the scenario lines; the context goes to stderr.
const info = (m: string) => (args.json ? console.error(m) : console.log(m))

function fail(message: string): never { console.error(message); process.exit(2) }

/** The syntax from the root element's namespace and local name (a regex is enough for these files, and
 *  keeps the detection out of the code being measured). */
function familyOf(text: string): Family | null {
  const body = text.replace(/^\uFEFF/, '').replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, '')
  const m = /<(?:([\w.-]+):)?([\w.-]+)([^>]*)>/.exec(body)
  if (!m) return null
  const [, prefix, local, attrs = ''] = m
  const ns = new RegExp(`xmlns${prefix ? `:${prefix}` : ''}\\s*=\\s*["']([^"']*)["']`).exec(attrs)?.[1]
  const syntax = syntaxOfRoot(ns ?? '', local!)
  return syntax === null ? null : syntax === 'cii' ? 'cii' : 'ubl'
}

const corpusDir = fileURLToPath(new URL('../../shared/corpus/examples/', import.meta.url))
if (!existsSync(corpusDir)) {
  console.log(`no corpus at ${corpusDir}: nothing to benchmark (the examples live in ../shared/corpus/examples)`)
  process.exit(0)
}
const files = readdirSync(corpusDir).filter((f) => /\.xml$/i.test(f)).sort()
const sets: Record<Family, string[]> = { ubl: [], cii: [] }
const paths: Record<Family, string[]> = { ubl: [], cii: [] }
const skipped: string[] = []
for (const f of files) {
  const text = readFileSync(join(corpusDir, f), 'utf8')
  const family = familyOf(text)
  if (family) { sets[family].push(text); paths[family].push(join(corpusDir, f)) }
  else skipped.push(f)
}
const families = (['ubl', 'cii'] as const).filter((s) => (!args.only || args.only === s) && sets[s].length > 0)

const PACKS: { label: string; packs: string[] }[] = [
  { label: 'EN 16931 alone', packs: ['en16931'] },
  { label: 'EN 16931 + Peppol', packs: ['en16931', 'peppol-bis-billing-3'] },
]
const MODES: Mode[] = [
  { key: 'a', label: '1 worker, one document at a time', size: 1, maxBatch: 1, sequential: true },
  { key: 'b', label: '1 worker, batched', size: 1, sequential: false },
  { key: 'c', label: `pool (${availableParallelism()} workers = cores), batched`, sequential: false },
]

const mb = (bytes: number) => Math.round(bytes / 1048576)
const kb = (bytes: number) => (bytes / 1024).toFixed(1)
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN

/** One pass over `texts`: awaited one by one (latencies recorded) or all submitted at once. */
async function pass(pool: Pool, jobs: Job[], sequential: boolean, latencies?: number[]) {
  if (!sequential) return Promise.all(jobs.map((j) => pool.validate(j)))
  const verdicts = []
  for (const job of jobs) {
    const t = performance.now()
    verdicts.push(await pool.validate(job))
    latencies?.push(performance.now() - t)
  }
  return verdicts
}

const cpu = cpus()
const allBytes = [...sets.ubl, ...sets.cii].reduce((n, t) => n + Buffer.byteLength(t), 0)
info(`Node ${process.version} · ${cpu[0]?.model ?? 'unknown CPU'} · ${cpu.length} CPUs (availableParallelism ${availableParallelism()})`)
info(`corpus ${corpusDir}: ${sets.ubl.length} UBL (avg ${kb(sets.ubl.reduce((n, t) => n + Buffer.byteLength(t), 0) / (sets.ubl.length || 1))} KiB), ` +
  `${sets.cii.length} CII (avg ${kb(sets.cii.reduce((n, t) => n + Buffer.byteLength(t), 0) / (sets.cii.length || 1))} KiB), ` +
  `avg ${kb(allBytes / ((sets.ubl.length + sets.cii.length) || 1))} KiB` + (skipped.length ? `; not UBL/CII, skipped: ${skipped.join(', ')}` : ''))
if (families.includes('cii')) info('CII: measured with EN 16931 alone only; Peppol BIS Billing 3 has no CII artefact.')

const artefacts = await ensureArtefacts({ onProgress: (m) => console.error(m) })
const results: Result[] = []
for (const mode of MODES) for (const engine of ENGINES) {
  const started = performance.now()
  const pool = await createValidationPool({ size: mode.size, maxBatch: mode.maxBatch, artefacts, engine })
  const rssMB = mb(process.memoryUsage().rss)
  const workerHeapMB = pool.memory.map(mb)
  info(`(${mode.key}) ${mode.label}, ${engine}: ${pool.size} worker(s) up in ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
    `heap after loading ${workerHeapMB.join('/')} MB per worker, process RSS ${rssMB} MB`)
  try {
    for (const syntax of families) {
      for (const packs of PACKS) {
        if (syntax === 'cii' && packs.packs.includes('peppol-bis-billing-3')) continue
        const jobs: Job[] = sets[syntax].map((text) => ({ text, packs: packs.packs }))
        const warm = await pass(pool, jobs, mode.sequential)
        // The first pass runs cold (JIT, SaxonJS caches): time more to size the timed run from. Batched modes
        // take 3 sets at once, as one set (e.g. 11 CII in batches of 10) leaves workers idle at its tail.
        const copies = mode.sequential ? 1 : 3
        const c0 = performance.now()
        if (fixedRounds === undefined) await pass(pool, Array.from({ length: copies }, () => jobs).flat(), mode.sequential)
        const passMs = (performance.now() - c0) / copies
        // A document whose rules did not all run (schema error, missing artefact) is cheaper: say so.
        const partial = warm.filter((v) => v.ran.length < 1 + packs.packs.length).length
        if (partial && mode.key === 'a') info(`  note: ${syntax.toUpperCase()} / ${packs.label}: ${partial} of ${jobs.length} documents did not run every layer (${warm.find((v) => v.ran.length < 1 + packs.packs.length)?.findings[0]?.ruleId ?? '?'} …)`)
        const rounds = fixedRounds ?? Math.max(3, Math.ceil(TARGET_MS / Math.max(passMs, 1)))
        // Batched modes submit every round at once, so the pool never drains between rounds.
        const timed = Array.from({ length: rounds }, () => jobs).flat()
        const latencies: number[] = []
        const t0 = performance.now()
        if (mode.sequential) for (let r = 0; r < rounds; r++) await pass(pool, jobs, true, latencies)
        else await pass(pool, timed, false)
        const wallMs = performance.now() - t0
        latencies.sort((x, y) => x - y)
        const fromA = results.find((r) => r.syntax === syntax && r.packs === packs.label && r.engine === engine && r.mode.startsWith('(a)'))
        // Which engine ran each pack (a native run falls back to SaxonJS per pack), from the verdicts.
        const ran = [...new Set(warm.flatMap((v) => v.ran.filter((r) => !r.startsWith('xsd:')).map((r) => `${r.replace(/:.*$/, '')}@${r.endsWith('@native') ? 'native' : 'saxonjs'}`)))].join(' ')
        results.push({
          syntax, packs: packs.label, engine, ran, mode: `(${mode.key}) ${mode.label}`, docs: timed.length, rounds, wallS: wallMs / 1000,
          docsPerS: timed.length / (wallMs / 1000), msPerDoc: wallMs / timed.length,
          p50: mode.sequential ? percentile(latencies, 0.5) : fromA?.p50 ?? NaN,
          p95: mode.sequential ? percentile(latencies, 0.95) : fromA?.p95 ?? NaN,
          latencyFrom: 'a', workerHeapMB, rssMB,
        })
        if (args.json) console.log(JSON.stringify({ ...results.at(-1), node: process.version, cpus: cpu.length }))
      }
    }
  } finally {
    await pool.close()
  }
}

if (!args.json) {
  const order = (r: Result) => `${families.indexOf(r.syntax)} ${PACKS.findIndex((p) => p.label === r.packs)} ${r.mode} ${ENGINES.indexOf(r.engine)}`
  const row = (c: string[]) => [c[0]!.padEnd(4), c[1]!.padEnd(18), c[2]!.padEnd(41), c[3]!.padEnd(8), ...c.slice(4).map((x) => x.padStart(8))].join(' ')
  console.log()
  console.log(row(['syn', 'packs', 'mode', 'engine', 'docs/s', 'ms/doc', 'p50 ms', 'p95 ms', 'x SaxonJS', 'rounds', 'wall s']))
  let previous = ''
  for (const r of [...results].sort((x, y) => order(x).localeCompare(order(y)))) {
    const scenario = `${r.syntax} ${r.packs} ${r.mode}`
    if (previous && scenario !== previous) console.log()
    previous = scenario
    const lat = (v: number) => (r.mode.startsWith('(a)') ? v.toFixed(1) : `(${v.toFixed(1)})`)
    // The throughput ratio against SaxonJS on the same scenario, in the same run.
    const reference = results.find((x) => x.engine === 'saxonjs' && `${x.syntax} ${x.packs} ${x.mode}` === scenario)
    const ratio = reference && r.engine !== 'saxonjs' ? `${(r.docsPerS / reference.docsPerS).toFixed(1)}x` : ''
    console.log(row([r.syntax.toUpperCase(), r.packs, r.mode, r.engine, r.docsPerS.toFixed(1), r.msPerDoc.toFixed(1), lat(r.p50), lat(r.p95), ratio, String(r.rounds), r.wallS.toFixed(1)]))
  }
  console.log()
  console.log('p50/p95 in brackets: per-document latency of mode (a), repeated; queueing makes it meaningless in (b)/(c).')
  console.log('x SaxonJS: docs/s of the row / docs/s of SaxonJS on the same scenario in this run (schema layer included).')
  const ranBy = [...new Set(results.filter((r) => r.engine === 'native').map((r) => r.ran))]
  if (ranBy.length) console.log(`engine native ran: ${[...new Set(ranBy.join(' ').split(' '))].join(', ')} (a pack it cannot load runs on SaxonJS)`)
}

// ---- rules only, one core: native, SaxonJS and Java Saxon-HE side by side ----

type RulesResult = { syntax: Family; packs: string; engine: 'native' | 'saxonjs' | 'java saxon-he'; docs: number; docsPerS: number; p50: number; p95: number }

const javaHarness = `import net.sf.saxon.s9api.*;
import javax.xml.transform.stream.StreamSource;
import java.io.*;
import java.nio.file.*;
import java.util.*;

// args: stylesheets (comma-separated), a file listing the documents, the minimum timed ms. One document at a
// time: parse, then each stylesheet with the document as global context item, SVRL into a tree. Prints the
// milliseconds of each timed document, one per line.
public class SaxonBench {
  public static void main(String[] args) throws Exception {
    Processor proc = new Processor(false);
    XsltCompiler compiler = proc.newXsltCompiler();
    List<XsltExecutable> sheets = new ArrayList<>();
    for (String path : args[0].split(",")) sheets.add(compiler.compile(new StreamSource(new File(path))));
    List<byte[]> docs = new ArrayList<>();
    for (String f : Files.readAllLines(Paths.get(args[1]))) if (!f.isEmpty()) docs.add(Files.readAllBytes(Paths.get(f)));
    long minMs = Long.parseLong(args[2]);
    DocumentBuilder builder = proc.newDocumentBuilder();
    long start = System.nanoTime();
    for (int pass = 0; pass < 3 || System.nanoTime() - start < 3_000_000_000L; pass++) for (byte[] d : docs) run(builder, sheets, d);
    StringBuilder out = new StringBuilder();
    start = System.nanoTime();
    for (int pass = 0; pass < 3 || System.nanoTime() - start < minMs * 1_000_000L; pass++) {
      for (byte[] d : docs) { long t = System.nanoTime(); run(builder, sheets, d); out.append((System.nanoTime() - t) / 1e6).append('\\n'); }
    }
    System.out.print(out);
  }
  static void run(DocumentBuilder builder, List<XsltExecutable> sheets, byte[] doc) throws SaxonApiException {
    XdmNode node = builder.build(new StreamSource(new ByteArrayInputStream(doc)));
    for (XsltExecutable sheet : sheets) {
      Xslt30Transformer t = sheet.load30();
      t.setGlobalContextItem(node);
      t.applyTemplates(node, new XdmDestination());
    }
  }
}
`

/** The compiled harness and its classpath, or why Java Saxon-HE is skipped. */
function prepareJava(dir: string): { classpath: string } | { skip: string } {
  if (args['no-java']) return { skip: '--no-java' }
  return prepareSaxonHe(dir, { SaxonBench: javaHarness }, info)
}

/** Warm-up (3 passes and 3 s), then at least 3 passes and 3 s timed; per-document milliseconds. */
function timeInProcess(texts: string[], run: (text: string) => void): number[] {
  let start = performance.now()
  for (let pass = 0; pass < 3 || performance.now() - start < 3000; pass++) for (const t of texts) run(t)
  const ms: number[] = []
  start = performance.now()
  for (let pass = 0; pass < 3 || performance.now() - start < TARGET_MS; pass++) {
    for (const t of texts) { const t0 = performance.now(); run(t); ms.push(performance.now() - t0) }
  }
  return ms
}

const summary = (syntax: Family, packs: string, engine: RulesResult['engine'], ms: number[]): RulesResult => {
  const sorted = [...ms].sort((x, y) => x - y)
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length
  return { syntax, packs, engine, docs: ms.length, docsPerS: 1000 / mean, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) }
}

const manifestPacks = loadManifest().packs
const packIds = (family: Family, packs: string[]) => packs.map((name) => manifestPacks.find((p) => p.pack === name && p.syntaxes.includes(family === 'cii' ? 'cii' : 'ubl-invoice'))?.id)
  .filter((id): id is string => id !== undefined)
const javaDir = mkdtempSync(join(tmpdir(), 'facteur-bench-java-'))
const rulesResults: RulesResult[] = []
try {
  const java = prepareJava(javaDir)
  if ('skip' in java) info(`Java Saxon-HE: skipped (${java.skip})`)
  else info(`Java Saxon-HE: ${SAXON_HE} on ${spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0]}`)
  for (const syntax of families) {
    for (const packs of PACKS) {
      const ids = packIds(syntax, packs.packs)
      if (ids.length < packs.packs.length) continue // no CII artefact for Peppol
      const entries = ids.map((id) => manifestPacks.find((p) => p.id === id)!)
      const resolved = ids.map((id) => artefacts.packs.find((p) => p.id === id)!)
      if (!args.engine || args.engine === 'saxonjs') {
        const compiled = resolved.map((p) => loadPack(p.id, { pack: p.pack, version: p.version }, p.sefPath))
        rulesResults.push(summary(syntax, packs.label, 'saxonjs', timeInProcess(sets[syntax], (text) => { for (const p of compiled) p.run([text]) })))
      }
      if (!args.engine || args.engine === 'native') {
        const natives = entries.map((e) => createNativePack(packRules(e), { pack: e.pack, version: e.version }))
        rulesResults.push(summary(syntax, packs.label, 'native', timeInProcess(sets[syntax], (text) => {
          const doc = parseXml(text)
          try { const tree = buildTree(doc); for (const n of natives) n.runTree(tree) } finally { doc.dispose() }
        })))
      }
      if ('classpath' in java) {
        const sheets = ids.map((id) => { const f = join(javaDir, `${id}.xslt`); writeFileSync(f, officialXslt(id).xslt); return f })
        const list = join(javaDir, `${syntax}.txt`)
        writeFileSync(list, paths[syntax].join('\n'))
        const r = spawnSync('java', ['-cp', java.classpath, 'SaxonBench', sheets.join(','), list, String(TARGET_MS)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
        if (r.status !== 0) info(`Java Saxon-HE on ${syntax} / ${packs.label} failed: ${r.stderr.trim().split('\n')[0]}`)
        else rulesResults.push(summary(syntax, packs.label, 'java saxon-he', r.stdout.trim().split('\n').map(Number)))
      }
      for (const r of rulesResults.filter((x) => x.syntax === syntax && x.packs === packs.label)) if (args.json) console.log(JSON.stringify({ section: 'rules only', ...r }))
    }
  }
} finally {
  rmSync(javaDir, { recursive: true, force: true })
}

if (!args.json && rulesResults.length > 0) {
  const row = (c: string[]) => [c[0]!.padEnd(4), c[1]!.padEnd(18), c[2]!.padEnd(14), ...c.slice(3).map((x) => x.padStart(9))].join(' ')
  console.log()
  console.log('rules only, one core, one document at a time (parse + rules, no XML schema, no pool):')
  console.log(row(['syn', 'packs', 'engine', 'docs/s', 'p50 ms', 'p95 ms', 'x SaxonJS', 'x Java']))
  let previous = ''
  for (const r of rulesResults) {
    if (previous && previous !== `${r.syntax} ${r.packs}`) console.log()
    previous = `${r.syntax} ${r.packs}`
    const same = (engine: string) => rulesResults.find((x) => x.syntax === r.syntax && x.packs === r.packs && x.engine === engine)
    const ratio = (engine: string) => { const ref = same(engine); return ref && r.engine !== engine ? `${(r.docsPerS / ref.docsPerS).toFixed(2)}x` : '' }
    console.log(row([r.syntax.toUpperCase(), r.packs, r.engine, r.docsPerS.toFixed(1), r.p50.toFixed(2), r.p95.toFixed(2), ratio('saxonjs'), ratio('java saxon-he')]))
  }
  console.log('x SaxonJS, x Java: docs/s of the row / docs/s of that engine on the same scenario (above 1: faster).')
}
