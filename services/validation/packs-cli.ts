// `npx facteur packs list|add`: the rule packs the operator supplies (schematron/packs.json `suppliedPacks`:
// files no registry carries, such as OpenPeppol's PEPPOL-EN16931-CII.sch, which Facteur may not redistribute).
// `add FILE` checks the file's sha256 against those packs, copies it into FACTEUR_PACKS_DIR under the pack's
// file name, and compiles it as the hub will run it: SchXslt → XSLT → SaxonJS SEF, and the native engine's
// rules, both cached by hash (artefacts.ts, supplied-packs.ts). `list` says which are supplied and where to
// download the others. The validation service and `facteur validate` find the files at their next start.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  compileSuppliedPack, defaultCacheDir, defaultMissingPackSeverity, defaultPacksDir, findSuppliedFile, loadManifest, sha256,
  suppliedSefPath, verifiedSuppliedPacks, type Manifest, type SuppliedPackEntry,
} from './artefacts.js'
import { nativeRefusal, suppliedPackRules, suppliedRulesFile } from './supplied-packs.js'

const usage = `usage: facteur packs <command>

The rule packs this hub runs but cannot install itself: no registry carries them and their publisher does not
let Facteur redistribute them (schematron/packs.json, "suppliedPacks"). The operator downloads each one and
adds it; until then, documents that call for it get FACTEUR-PACK-MISSING (fatal unless
FACTEUR_MISSING_PACK_SEVERITY=warning).

commands:
  list [--json]   each supplied pack: supplied or not, its file and sha256, where to download it
  add FILE        check FILE's sha256 against those packs, copy it into FACTEUR_PACKS_DIR under the pack's file
                  name and compile it (SchXslt → SaxonJS SEF, and the native engine's rules); a file that is
                  none of them is refused
  -h, --help      this text`

/** What the command works on; the defaults are the hub's (tests pass a manifest of their own). */
export type PacksCliOptions = {
  manifest?: Manifest; packsDir?: string; cacheDir?: string; verifiedSupplied?: readonly string[]
  out?: (text: string) => void; err?: (text: string) => void
}

const expected = (packs: SuppliedPackEntry[]) => packs.map((p) =>
  `  ${p.id} ${p.version} (${p.syntaxes.join(', ')}): ${p.supplied.file}, sha256 ${p.supplied.sha256}\n    download: ${p.supplied.url ?? p.supplied.from}${p.supplied.url ? `\n    release:  ${p.supplied.from}` : ''}`).join('\n')

export async function main(argv: string[], options: PacksCliOptions = {}): Promise<number> {
  const out = options.out ?? ((t: string) => { process.stdout.write(t) })
  const err = options.err ?? ((t: string) => { process.stderr.write(t) })
  let args
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  } catch (error) {
    err(`facteur packs: ${(error as Error).message}\n\n${usage}\n`)
    return 2
  }
  const { values, positionals } = args
  const [command, ...rest] = positionals
  if (values.help || command === 'help') { out(`${usage}\n`); return 0 }
  let manifest: Manifest, packsDir: string
  try {
    manifest = options.manifest ?? loadManifest()
    packsDir = options.packsDir ?? defaultPacksDir()
  } catch (error) {
    err(`facteur packs: ${(error as Error).message}\n`)
    return 2
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  const packs = manifest.suppliedPacks ?? []
  if (command === 'list' && rest.length === 0) return list()
  if (command === 'add' && rest.length === 1 && !values.json) return add(rest[0]!)
  err(`facteur packs: ${command === undefined ? 'no command given' : command === 'add' ? 'add takes one FILE' : `unknown command ${positionals.join(' ')}`}\n\n${usage}\n`)
  return 2

  function list(): number {
    const hashes = new Map<string, string>()
    const rows = packs.map((p) => {
      const found = findSuppliedFile(p, packsDir, hashes)
      const compiled = found.path !== undefined && existsSync(suppliedSefPath(p, manifest, cacheDir))
      return { p, found, compiled }
    })
    if (values.json) {
      for (const { p, found, compiled } of rows) {
        out(`${JSON.stringify({
          id: p.id, pack: p.pack, version: p.version, syntaxes: p.syntaxes, file: p.supplied.file, sha256: p.supplied.sha256,
          from: p.supplied.from, url: p.supplied.url ?? null, supplied: found.path !== undefined, path: found.path ?? null, compiled,
          wrongFile: found.path === undefined ? (found.wrongFile ?? null) : null,
        })}\n`)
      }
      return 0
    }
    let severity: string
    try { severity = defaultMissingPackSeverity() } catch (error) { severity = `invalid: ${(error as Error).message}` }
    out(`packs folder: ${packsDir} (FACTEUR_PACKS_DIR)\n`)
    if (rows.length === 0) out('no supplied packs in schematron/packs.json\n')
    for (const { p, found, compiled } of rows) {
      out(`\n${p.id} ${p.version}  ${p.syntaxes.join(',')}  ${found.path !== undefined ? 'SUPPLIED' : 'NOT SUPPLIED'}\n  ${p.title}\n`)
      out(`  file: ${p.supplied.file}, sha256 ${p.supplied.sha256}\n`)
      if (found.path !== undefined) {
        out(`  found: ${found.path}${compiled ? '' : ' (compiled at the next start, or now by npx facteur packs add)'}\n`)
        continue
      }
      if (found.wrongFile) out(`  ${found.wrongFile.path} has sha256 ${found.wrongFile.sha256}: not this release (another one, or altered)\n`)
      out(`  download: ${p.supplied.url ?? p.supplied.from}\n${p.supplied.url ? `  release:  ${p.supplied.from}\n` : ''}`)
      out(`  then:     npx facteur packs add ${p.supplied.file}\n`)
      out(`  until then, documents that call for these rules get FACTEUR-PACK-MISSING (${severity}; FACTEUR_MISSING_PACK_SEVERITY)\n`)
    }
    return 0
  }

  async function add(file: string): Promise<number> {
    let bytes: Buffer
    try { bytes = readFileSync(file) } catch (error) {
      err(`facteur packs: cannot read ${file}: ${(error as Error).message}\n`)
      return 2
    }
    const hash = sha256(bytes)
    const entry = packs.find((p) => p.supplied.sha256 === hash)
    if (!entry) {
      const sameName = packs.find((p) => basename(file) === p.supplied.file)
      err(`facteur packs: ${file} (sha256 ${hash}) is none of the packs this hub expects; refused.\n` +
        (sameName ? `It has the name of ${sameName.id}'s file but not its content: another release, or an altered copy.\n` : '') +
        (packs.length ? `Expected (schematron/packs.json):\n${expected(packs)}\n` : 'schematron/packs.json expects no supplied pack.\n'))
      return 1
    }
    out(`${file}: ${entry.id} ${entry.version} (${entry.title}), sha256 ${hash} as pinned in schematron/packs.json\n`)
    const dest = join(packsDir, entry.supplied.file)
    try {
      if (resolve(file) === resolve(dest)) out(`already in the packs folder: ${dest}\n`)
      else {
        let previous: string | null = null
        try { previous = sha256(readFileSync(dest)) } catch { /* none */ }
        mkdirSync(packsDir, { recursive: true })
        // Whole or not at all: written under a temporary name (skipped by the hub's search), then renamed.
        const tmp = `${dest}.${process.pid}.tmp`
        try {
          writeFileSync(tmp, bytes)
          renameSync(tmp, dest)
        } finally {
          rmSync(tmp, { force: true })
        }
        out(previous === null ? `copied to ${dest}\n` : previous === hash ? `already in the packs folder, rewritten: ${dest}\n`
          : `copied to ${dest}, replacing a file with sha256 ${previous} (not a pinned pack)\n`)
      }
    } catch (error) {
      err(`facteur packs: cannot copy ${file} to ${dest}: ${(error as Error).message}\n`)
      return 1
    }
    const say = (m: string) => err(`facteur: ${m}\n`)
    try {
      const sefPath = await compileSuppliedPack(entry, dest, { manifest, cacheDir, onProgress: say })
      out(`SaxonJS (the reference engine): Schematron compiled by ${manifest.schematronCompiler.name} ${manifest.schematronCompiler.version}, then to SEF: ${sefPath}\n`)
      const rules = suppliedPackRules({ ...entry, path: dest }, cacheDir)
      const checks = rules.patterns.reduce((n, p) => n + p.rules.reduce((m, r) => m + r.body.filter((i) => 'check' in i).length, 0), 0)
      const refusal = nativeRefusal(rules)
      const verified = (options.verifiedSupplied ?? verifiedSuppliedPacks).includes(`${entry.id}:${entry.version}`)
      out(`native engine: ${checks} asserts and reports in ${rules.patterns.length} patterns read, cached in ${suppliedRulesFile(entry, cacheDir)}\n`)
      out(refusal ? `  the native engine does not run this pack (${refusal}): SaxonJS runs it, with either engine setting\n`
        : verified ? '  run by the native engine (verified against SaxonJS), SaxonJS with FACTEUR_VALIDATION_ENGINE=saxonjs\n'
          : '  not verified against SaxonJS yet (supplied-packs.test.ts, verifiedSuppliedPacks): SaxonJS runs it, with either engine setting\n')
    } catch (error) {
      err(`facteur packs: ${entry.id} could not be compiled: ${(error as Error).message}\n`)
      return 1
    }
    out(`From the next start of validation (npm start, the validation service; npx facteur validate at once), ${entry.syntaxes.join(', ')} documents that call for the ${entry.pack} rules get them.\n`)
    return 0
  }
}
