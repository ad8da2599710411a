// The official XSLT of a pack, read from its jar in the local Maven repository and checked against the
// sha256 pinned in schematron/packs.json (the same file and check as artefacts.ts, which compiles it to
// SEF for SaxonJS; the native engine reads the XSLT itself). The jar is fetched by `ensureArtefacts()`.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { jarPath, loadManifest, type PackEntry } from '../artefacts.js'
import { loadXslt, type RulesData } from './load-xslt.js'


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

export function officialRules(id: string): { entry: PackEntry; rules: RulesData } {
  const { entry, xslt } = officialXslt(id)
  return { entry, rules: loadXslt(xslt) }
}
