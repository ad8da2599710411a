// `npx facteur validate <file|dir>…`: the hub's validation, offline, on files. The same pipeline and worker
// pool as the validation service; the same hardened parse as ingest first (no DOCTYPE, size and depth limits).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { availableParallelism } from 'node:os'
import { loadConfig } from '../kit/config.js'
import { safeParse, documentText } from '../kit/safe-xml.js'
import type { Finding } from '../../schemas/events.js'
import { packNames } from './choose-packs.js'
import { createValidationPool } from './pool.js'
import { engines, type Engine, type Verdict } from './pipeline.js'

const usage = `usage: facteur validate [options] <file|dir>…

Validates UBL 2.1 invoices and credit notes and CII D16B invoices: XML schema, then the rule packs the
document calls for (EN 16931, Peppol BIS Billing 3.0, French CTC, French B2G). Directories are searched
for *.xml files. Exit code 0 only when every file is valid, 1 when one is not, 2 on a usage error.

options:
  --json            one JSON object per file per line: {"file","valid","findings":[…]}
  --packs           list the rule packs and their versions, then exit
  --pack <name>     run only this pack (repeatable): ${packNames.join(', ')}
  --skip-schema     skip the XML schema (Schematron on fragments that are not schema-complete)
  --engine <name>   rule engine: saxonjs (the official XSLT) or native (the same rules compiled to
                    JavaScript; SaxonJS for a pack it may not run); default FACTEUR_VALIDATION_ENGINE
  --workers <n>     worker threads (default: one per core)
  -h, --help        this text`

export type FileReport = { file: string; valid: boolean; syntax: string | null; ran: string[]; findings: Finding[] }

export function xmlFiles(paths: string[]): string[] {
  const out: string[] = []
  const walk = (p: string) => {
    const st = statSync(p)
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) { const q = join(p, name); if (statSync(q).isDirectory() || /\.xml$/i.test(name)) walk(q) }
    else out.push(p)
  }
  for (const p of paths) walk(p)
  return out
}

const order: Finding['severity'][] = ['fatal', 'warning', 'information']

/** The readable report of one file. */
export function formatReport(r: FileReport): string {
  const head = `${r.valid ? 'PASS' : 'FAIL'}  ${r.file}${r.syntax ? `  (${r.syntax}: ${r.ran.join(', ')})` : ''}`
  const lines = [head]
  for (const severity of order) {
    const group = r.findings.filter((f) => f.severity === severity)
    if (group.length === 0) continue
    lines.push(`  ${severity} (${group.length})`)
    for (const f of group) {
      const where = f.line ? `line ${f.line}` : 'line ?'
      const pack = f.pack ? ` [${f.pack}${f.packVersion ? ` ${f.packVersion}` : ''}]` : ''
      lines.push(`    ${where.padEnd(10)} ${f.ruleId}${pack}  ${f.message}`)
    }
  }
  return lines.join('\n')
}

export function jsonReport(r: FileReport): string {
  return JSON.stringify({
    file: r.file, valid: r.valid,
    findings: r.findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, location: f.location, line: f.line, message: f.message, pack: f.pack, packVersion: f.packVersion ?? null })),
  })
}

export async function main(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: {
      json: { type: 'boolean' }, packs: { type: 'boolean' }, pack: { type: 'string', multiple: true },
      'skip-schema': { type: 'boolean' }, workers: { type: 'string' }, engine: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } })
  } catch (error) {
    process.stderr.write(`facteur validate: ${(error as Error).message}\n\n${usage}\n`)
    return 2
  }
  const { values, positionals } = args
  if (values.help) { process.stdout.write(`${usage}\n`); return 0 }
  const unknown = (values.pack ?? []).filter((p) => !(packNames as readonly string[]).includes(p))
  if (unknown.length > 0) { process.stderr.write(`facteur validate: unknown pack ${unknown.join(', ')}; the packs are ${packNames.join(', ')}\n`); return 2 }
  if (!values.packs && positionals.length === 0) { process.stderr.write(`facteur validate: no file given\n\n${usage}\n`); return 2 }
  const workers = values.workers === undefined ? undefined : Number(values.workers)
  if (workers !== undefined && !(Number.isInteger(workers) && workers > 0)) { process.stderr.write('facteur validate: --workers takes a positive whole number\n'); return 2 }
  if (values.engine !== undefined && !(engines as readonly string[]).includes(values.engine)) { process.stderr.write(`facteur validate: --engine takes ${engines.join(' or ')}, not ${values.engine}\n`); return 2 }

  let files: string[] = []
  try { files = xmlFiles(positionals) } catch (error) { process.stderr.write(`facteur validate: ${(error as Error).message}\n`); return 2 }
  const config = loadConfig(process.env)
  const say = (m: string) => process.stderr.write(`facteur: ${m}\n`)
  const engine = (values.engine as Engine | undefined) ?? config.validationEngine
  // Packs and schemas are loaded as the files call for them (a few of them for one invoice), except to list them.
  const pool = await createValidationPool({ size: workers ?? (config.validationWorkers || Math.min(files.length || 1, availableParallelism())), engine, lazy: !values.packs, timeoutMs: config.validationTimeoutMs, memoryMb: config.validationWorkerMemoryMb, onProgress: say })
  try {
    if (values.packs) {
      for (const p of pool.packs) process.stdout.write(values.json ? `${JSON.stringify(p)}\n` : `${p.pack.padEnd(22)} ${p.version.padEnd(9)} ${p.syntaxes.join(',').padEnd(35)} ${p.engine.padEnd(8)} ${p.title}\n`)
      return 0
    }
    const started = Date.now()
    let done = 0, lastProgress = started
    const results = files.map(async (file): Promise<FileReport> => {
      const name = relative(process.cwd(), file) || file
      const report = (v: Pick<Verdict, 'valid' | 'syntax' | 'ran' | 'findings'>) => ({ file: name, ...v })
      let bytes: Buffer
      try { bytes = readFileSync(file) } catch (error) {
        return report({ valid: false, syntax: null, ran: [], findings: [{ ruleId: 'FACTEUR-FILE-UNREADABLE', severity: 'fatal', location: '/', message: (error as Error).message, pack: null, line: null }] })
      }
      const parsed = safeParse(bytes, { maxBytes: config.maxDocumentBytes, maxDepth: config.maxXmlDepth })
      if (!parsed.ok) return report({ valid: false, syntax: null, ran: [], findings: [parsed.finding] })
      try {
        return report(await pool.validate({ text: documentText(bytes, parsed.doc), packs: values.pack, skipSchema: values['skip-schema'] }, name))
      } catch (error) {
        return report({ valid: false, syntax: null, ran: [], findings: [{ ruleId: 'FACTEUR-VALIDATION-FAILED', severity: 'fatal', location: '/', message: `not validated: ${(error as Error).message.split('\n')[0]}`, pack: null, line: null }] })
      } finally {
        done++
        if (Date.now() - lastProgress > 5000) { lastProgress = Date.now(); say(`validated ${done}/${files.length} files …`) }
      }
    })
    let valid = 0
    for (const pending of results) {
      const r = await pending
      if (r.valid) valid++
      process.stdout.write(`${values.json ? jsonReport(r) : formatReport(r)}\n`)
    }
    const seconds = (Date.now() - started) / 1000
    if (!values.json || files.length > 1) say(`${files.length} files: ${valid} valid, ${files.length - valid} not valid, in ${seconds.toFixed(1)} s`)
    return valid === files.length ? 0 : 1
  } finally {
    await pool.close()
  }
}
