// The native engine's form of a supplied rule pack (schematron/packs.json `suppliedPacks`: a Schematron file
// the operator puts in FACTEUR_PACKS_DIR, see artefacts.ts): its rules read by the native Schematron loader
// (native/load-sch.ts, as for our own fr-b2g), cached as data in the cache folder under the file's pinned sha256
// and the loaders' identity (native/source.ts, rulesCacheFile), and run natively only when
// supplied-packs.test.ts has verified it against SaxonJS (artefacts.ts, verifiedSuppliedPacks). Otherwise, or
// when the loader cannot read every rule, the pipeline runs the pack on SaxonJS, the reference, which runs
// SchXslt's compilation of the same file.
import { readFileSync } from 'node:fs'
import { sha256, type PackEntry, type ResolvedSuppliedPack, type SuppliedPackEntry } from './artefacts.js'
import { createNativePack, type NativePack } from './native/engine.js'
import { loadSchematron } from './native/load-sch.js'
import type { RulesData } from './native/load-xslt.js'
import { cachedRules, rulesCacheFile } from './native/source.js'

/**
 * Where the native rules of a supplied pack are cached: the same key as an official pack's (its id, the file's
 * pinned sha256, the loaders' identity), since the file is as fixed by its hash as an official one.
 */
export function suppliedRulesFile(entry: SuppliedPackEntry, cacheDir?: string): string {
  const keyed: PackEntry = {
    id: entry.id, pack: entry.pack, version: entry.version, title: entry.title, syntaxes: entry.syntaxes,
    maven: 'supplied', jarSha256: '', path: entry.supplied.file, sha256: entry.supplied.sha256,
  }
  return rulesCacheFile(keyed, cacheDir)
}

/** The rules of a supplied pack present in the packs folder, from the cache, else read (and cached). */
export function suppliedPackRules(entry: SuppliedPackEntry & { path: string }, cacheDir?: string): RulesData {
  return cachedRules(suppliedRulesFile(entry, cacheDir), () => {
    const bytes = readFileSync(entry.path)
    const hash = sha256(bytes)
    if (hash !== entry.supplied.sha256) throw new Error(`pack ${entry.id}: ${entry.path} now has sha256 ${hash}, expected ${entry.supplied.sha256}`)
    return loadSchematron(bytes)
  })
}

/** Why the native engine cannot run these rules (the pipeline then runs SaxonJS), or null when it can. */
export function nativeRefusal(rules: RulesData): string | null {
  if (rules.unsupported.length === 0) return null
  return `not supported yet: ${rules.unsupported.slice(0, 3).join('; ')}${rules.unsupported.length > 3 ? ` (+${rules.unsupported.length - 3})` : ''}`
}

/** The native engine for a supplied pack, or why it does not run it (as native/source.ts's nativePackFor). */
export function suppliedNativePack(entry: ResolvedSuppliedPack): { pack: NativePack } | { reason: string } {
  if (!entry.nativeVerified) return { reason: `${entry.id} ${entry.version} (supplied) is not verified against SaxonJS by supplied-packs.test.ts (artefacts.ts, verifiedSuppliedPacks)` }
  try {
    const rules = suppliedPackRules(entry)
    const refusal = nativeRefusal(rules)
    if (refusal) return { reason: refusal }
    return { pack: createNativePack(rules, { pack: entry.pack, version: entry.version }) }
  } catch (error) {
    return { reason: (error as Error).message.split('\n')[0]! }
  }
}
