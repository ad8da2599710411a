// The official XSLT of a pack, read from its jar in the local Maven repository and checked against the
// sha256 pinned in schematron/packs.json (the same file and check as artefacts.ts, which compiles it to
// SEF for SaxonJS; the native engine reads the XSLT itself). The jar is fetched by `ensureArtefacts()`.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { threadId } from 'node:worker_threads'
import { defaultCacheDir, jarPath, loadManifest, type PackEntry } from '../artefacts.js'
import { loadXslt, type RulesData } from './load-xslt.js'
import { createNativePack, type NativePack } from './engine.js'
import { loadSchematron } from './load-sch.js'

const schematronDir = fileURLToPath(new URL('../../../schematron/', import.meta.url))


/** The official XSLT bytes of pack `id` (an entry of packs.json with `maven` and `path`). */
export function officialXslt(id: string): { entry: PackEntry; xslt: Buffer } {
  const entry = loadManifest().packs.find((p) => p.id === id)
  if (!entry) throw new Error(`no pack ${id} in schematron/packs.json`)
  if (entry.schematron !== undefined) throw new Error(`pack ${id} is our own Schematron, not an official XSLT`)
  const xslt = execFileSync('unzip', ['-p', jarPath(entry.maven), entry.path], { maxBuffer: 64 * 1024 * 1024 })
  const hash = createHash('sha256').update(xslt).digest('hex')
  if (hash !== entry.sha256) throw new Error(`pack ${id}: ${entry.path} has sha256 ${hash}, expected ${entry.sha256}`)
  return { entry, xslt }
}

/** The rules of pack `id`: its official XSLT (ISO skeleton), or our own Schematron (run as SchXslt runs it). */
export function loadPackRules(entry: PackEntry): RulesData {
  if (entry.schematron !== undefined) return loadSchematron(readFileSync(schematronDir + entry.schematron))
  return officialRules(entry.id).rules
}

// Loading a pack's rules reads the jar and walks its XSLT through libxml2: 100-150 ms of CPU for EN 16931, in
// every worker and every `facteur validate` (issue 11). The rules are plain data, so they are kept as JSON in
// the cache folder, under a hash of what they are made from: the pack's file (the sha256 pinned in packs.json,
// or our Schematron's content) and the code of the loaders themselves (load-xslt, load-sch, ../xml, as they run:
// .ts or compiled .js) with the libxml2-wasm version. A change to any of them loads the rules afresh.
let loaderHash: string | undefined
function loaderIdentity(): string {
  if (loaderHash) return loaderHash
  const ext = extname(fileURLToPath(import.meta.url))
  const hash = createHash('sha256')
  for (const module of [`./load-xslt${ext}`, `./load-sch${ext}`, `../xml${ext}`]) hash.update(readFileSync(new URL(module, import.meta.url)))
  hash.update(createRequire(import.meta.url)('libxml2-wasm/package.json').version as string)
  return loaderHash = hash.digest('hex')
}

export const rulesCacheFile = (entry: PackEntry, cacheDir = defaultCacheDir()): string => {
  const source = entry.schematron === undefined ? entry.sha256 : createHash('sha256').update(readFileSync(schematronDir + entry.schematron)).digest('hex')
  const key = createHash('sha256').update(`${entry.id}\n${source}\n${loaderIdentity()}`).digest('hex')
  return join(cacheDir, 'native-rules', `${entry.id}.${key.slice(0, 32)}.json`)
}

/**
 * Rules from the cache `file` when they were loaded before, else from `load`, then cached. Best effort: written
 * under a temporary name and renamed (workers and processes may race); a cache folder that cannot be written
 * only costs the load next time.
 */
export function cachedRules(file: string, load: () => RulesData): RulesData {
  try { return JSON.parse(readFileSync(file, 'utf8')) as RulesData } catch { /* not cached yet, or unreadable: load */ }
  const rules = load()
  try {
    mkdirSync(dirname(file), { recursive: true })
    const tmp = `${file}.${process.pid}.${threadId}.tmp`
    writeFileSync(tmp, JSON.stringify(rules))
    renameSync(tmp, file)
  } catch { /* see above */ }
  return rules
}

/** The rules of a pack, from the cache when they were loaded before by the same loaders (see above). */
export const packRules = (entry: PackEntry): RulesData => cachedRules(rulesCacheFile(entry), () => loadPackRules(entry))

export function officialRules(id: string): { entry: PackEntry; rules: RulesData } {
  const { entry, xslt } = officialXslt(id)
  return { entry, rules: loadXslt(xslt) }
}

/**
 * The packs, `id:version`, that native/differential.test.ts runs against SaxonJS (corpus and variants): the
 * pipeline runs only these natively. A new version pinned in packs.json runs on SaxonJS until its
 * differential block is green and it is listed here (the test checks the two lists are the same).
 */
export const verifiedNativePacks: readonly string[] = [
  'en16931-ubl:1.3.16', 'en16931-cii:1.3.16', 'peppol-bis-billing-3-ubl:2025.11', 'fr-ctc-ubl:1.3.0', 'fr-ctc-cii:1.3.0', 'fr-b2g:1.0.0',
]

/**
 * The packs, `id:version`, that SaxonJS cannot run, verified instead against Saxon-HE for Java by
 * native/java-differential.test.ts (corpus and variants): the pipeline runs these natively whatever engine
 * is chosen (`saxonjs` included, which the pack's `fallback` then says). The EXTENDED-CTC-FR rules stop
 * SaxonJS 2 on a type error Saxon-HE for Java does not raise: XPTY0004 on
 * `xs:decimal(round(sum(…) * xs:decimal(100)) div xs:decimal(100))`, an xs:double where an xs:decimal is required.
 */
export const verifiedAgainstJava: readonly string[] = ['fr-extended-ctc-cii:1.3.0', 'fr-extended-ctc-ubl:1.3.0']

/** Why a pack of verifiedAgainstJava runs natively when SaxonJS is the engine chosen, or undefined for any other pack. */
export const saxonJsCannotRun = (entry: { id: string; version: string }): string | undefined => verifiedAgainstJava.includes(`${entry.id}:${entry.version}`)
  ? `SaxonJS cannot run ${entry.id} ${entry.version} (XPTY0004 on its xs:decimal arithmetic): the native engine runs it, verified against Saxon-HE for Java (native/source.ts, verifiedAgainstJava)`
  : undefined

/**
 * The native engine for one pack of the manifest, or why it cannot run it (the pipeline then runs that pack
 * on SaxonJS). The official packs are read from their ISO-skeleton XSLT (load-xslt.ts), our own from the
 * Schematron (load-sch.ts); rules with constructs the loaders or the XPath compiler do not handle are
 * refused whole, never run in part; and a pack not verified by the differential test (against SaxonJS, or
 * against Saxon-HE for Java for verifiedAgainstJava) is not run natively even when it loads.
 */
export function nativePackFor(entry: PackEntry): { pack: NativePack } | { reason: string } {
  if (!verifiedNativePacks.includes(`${entry.id}:${entry.version}`) && saxonJsCannotRun(entry) === undefined) return { reason: `${entry.id} ${entry.version} is not verified against SaxonJS by the differential test (native/source.ts, verifiedNativePacks)` }
  try {
    const rules = packRules(entry)
    if (rules.unsupported.length > 0) return { reason: `not supported yet: ${rules.unsupported.slice(0, 3).join('; ')}${rules.unsupported.length > 3 ? ` (+${rules.unsupported.length - 3})` : ''}` }
    return { pack: createNativePack(rules, { pack: entry.pack, version: entry.version }) }
  } catch (error) {
    return { reason: (error as Error).message.split('\n')[0]! }
  }
}
