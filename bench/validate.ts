// Validation throughput benchmark: `npm run bench [-- --only ubl|cii] [--rounds N] [--json]`.
// It measures the worker pool the service uses (services/validation/pool.ts), schema layer included, over
// the example invoices of ../shared/corpus/examples. It prints numbers, not pass/fail.
//
// Modes (one pool each, created in turn so only one is alive at a time):
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
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { cpus, availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { ensureArtefacts } from '../services/validation/artefacts.js'
import { createValidationPool, type Pool } from '../services/validation/pool.js'
import type { Job } from '../services/validation/pipeline.js'

type Family = 'ubl' | 'cii'
type Mode = { key: 'a' | 'b' | 'c'; label: string; size?: number; maxBatch?: number; sequential: boolean }
type Result = {
  syntax: Family; packs: string; mode: string; docs: number; rounds: number; wallS: number
  docsPerS: number; msPerDoc: number; p50: number; p95: number; latencyFrom: 'a'; workerHeapMB: number[]; rssMB: number
}

const { values: args } = parseArgs({ options: { only: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'boolean', default: false } } })
if (args.only !== undefined && args.only !== 'ubl' && args.only !== 'cii') fail(`--only takes ubl or cii, not ${args.only}`)
const fixedRounds = args.rounds === undefined ? undefined : Number(args.rounds)
if (fixedRounds !== undefined && !(Number.isInteger(fixedRounds) && fixedRounds > 0)) fail(`--rounds takes a positive integer, not ${args.rounds}`)
const TARGET_MS = 3000
// In --json mode stdout carries only the scenario lines; the context goes to stderr.
const info = (m: string) => (args.json ? console.error(m) : console.log(m))

function fail(message: string): never { console.error(message); process.exit(2) }

const ROOTS: Record<string, Family> = {
  'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2 Invoice': 'ubl',
  'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2 CreditNote': 'ubl',
  'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100 CrossIndustryInvoice': 'cii',
}

/** The syntax from the root element's namespace and local name (a regex is enough for these files, and
 *  keeps the detection out of the code being measured). */
function familyOf(text: string): Family | null {
  const body = text.replace(/^\uFEFF/, '').replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, '')
  const m = /<(?:([\w.-]+):)?([\w.-]+)([^>]*)>/.exec(body)
  if (!m) return null
  const [, prefix, local, attrs = ''] = m
  const ns = new RegExp(`xmlns${prefix ? `:${prefix}` : ''}\\s*=\\s*["']([^"']*)["']`).exec(attrs)?.[1]
  return ROOTS[`${ns} ${local}`] ?? null
}

const corpusDir = fileURLToPath(new URL('../../shared/corpus/examples/', import.meta.url))
if (!existsSync(corpusDir)) {
  console.log(`no corpus at ${corpusDir}: nothing to benchmark (the examples live in ../shared/corpus/examples)`)
  process.exit(0)
}
const files = readdirSync(corpusDir).filter((f) => /\.xml$/i.test(f)).sort()
const sets: Record<Family, string[]> = { ubl: [], cii: [] }
const skipped: string[] = []
for (const f of files) {
  const text = readFileSync(join(corpusDir, f), 'utf8')
  const family = familyOf(text)
  if (family) sets[family].push(text)
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
for (const mode of MODES) {
  const started = performance.now()
  const pool = await createValidationPool({ size: mode.size, maxBatch: mode.maxBatch, artefacts })
  const rssMB = mb(process.memoryUsage().rss)
  const workerHeapMB = pool.memory.map(mb)
  info(`(${mode.key}) ${mode.label}: ${pool.size} worker(s) up in ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
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
        const fromA = results.find((r) => r.syntax === syntax && r.packs === packs.label && r.mode.startsWith('(a)'))
        results.push({
          syntax, packs: packs.label, mode: `(${mode.key}) ${mode.label}`, docs: timed.length, rounds, wallS: wallMs / 1000,
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
  const order = (r: Result) => `${families.indexOf(r.syntax)} ${PACKS.findIndex((p) => p.label === r.packs)} ${r.mode}`
  const row = (c: string[]) => [c[0]!.padEnd(4), c[1]!.padEnd(18), c[2]!.padEnd(41), ...c.slice(3).map((x) => x.padStart(8))].join(' ')
  console.log()
  console.log(row(['syn', 'packs', 'mode', 'docs/s', 'ms/doc', 'p50 ms', 'p95 ms', 'rounds', 'wall s']))
  for (const r of [...results].sort((x, y) => order(x).localeCompare(order(y)))) {
    const lat = (v: number) => (r.mode.startsWith('(a)') ? v.toFixed(1) : `(${v.toFixed(1)})`)
    console.log(row([r.syntax.toUpperCase(), r.packs, r.mode, r.docsPerS.toFixed(1), r.msPerDoc.toFixed(1), lat(r.p50), lat(r.p95), String(r.rounds), r.wallS.toFixed(1)]))
  }
  console.log('p50/p95 in brackets: per-document latency of mode (a), repeated; queueing makes it meaningless in (b)/(c).')
}
