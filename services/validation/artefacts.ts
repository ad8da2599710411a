// The official validation artefacts: resolved from Maven Central, verified against the sha256 pinned in
// schematron/packs.json, compiled to SaxonJS SEF once and cached by hash in ~/.cache/facteur/sef.
// Concurrency-safe: a compiled file is written under a temporary name and renamed.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, statSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Syntax } from '../../schemas/events.js'

const run = promisify(execFile)

export type PackEntry = { id: string; pack: string; version: string; syntaxes: Syntax[]; maven: string; jarSha256: string; path: string; sha256: string }
export type ResolvedPack = PackEntry & { sefPath: string }

const manifestFile = fileURLToPath(new URL('../../schematron/packs.json', import.meta.url))
const xslt3 = fileURLToPath(new URL('../../node_modules/xslt3/xslt3.js', import.meta.url))

export const loadManifest = (): PackEntry[] => (JSON.parse(readFileSync(manifestFile, 'utf8')) as { packs: PackEntry[] }).packs

export const defaultCacheDir = () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'facteur')

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

function jarPath(maven: string): string {
  const [group, artifact, version] = maven.split(':') as [string, string, string]
  return join(homedir(), '.m2', 'repository', ...group.split('.'), artifact, version, `${artifact}-${version}.jar`)
}

async function fetchJar(maven: string, say: (m: string) => void): Promise<string> {
  const path = jarPath(maven)
  if (existsSync(path)) return path
  say(`fetching ${maven} from Maven Central …`)
  await run('mvn', ['-q', '-B', 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get', `-Dartifact=${maven}`, '-Dtransitive=false'], { maxBuffer: 8 * 1024 * 1024 })
    .catch((error) => { throw new Error(`could not fetch ${maven} with Maven: ${(error as { stdout?: string }).stdout ?? error}`, { cause: error }) })
  return path
}

/** Resolves, verifies and compiles every pack of `manifest` (fast when cached). */
export async function ensureArtefacts(options: { manifest?: PackEntry[]; cacheDir?: string; onProgress?: (m: string) => void } = {}): Promise<ResolvedPack[]> {
  const say = options.onProgress ?? (() => {})
  const sefDir = join(options.cacheDir ?? defaultCacheDir(), 'sef')
  mkdirSync(sefDir, { recursive: true })
  const resolved: ResolvedPack[] = []
  for (const pack of options.manifest ?? loadManifest()) {
    const sefPath = join(sefDir, `${pack.sha256}.sef.json`)
    if (existsSync(sefPath) && statSync(sefPath).size > 0) { resolved.push({ ...pack, sefPath }); continue }
    const jar = await fetchJar(pack.maven, say)
    const jarHash = sha256(readFileSync(jar))
    if (jarHash !== pack.jarSha256) throw new Error(`pack ${pack.id}: ${jar} has sha256 ${jarHash}, expected ${pack.jarSha256} (schematron/packs.json); refusing to use it`)
    const { stdout: xslt } = await run('unzip', ['-p', jar, pack.path], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
    if (xslt.length === 0) throw new Error(`pack ${pack.id}: ${pack.path} not found in ${jar}`)
    const fileHash = sha256(xslt)
    if (fileHash !== pack.sha256) throw new Error(`pack ${pack.id}: ${pack.path} has sha256 ${fileHash}, expected ${pack.sha256} (schematron/packs.json); refusing to use it`)
    const work = join(sefDir, `.${pack.sha256}.${process.pid}`)
    mkdirSync(work, { recursive: true })
    try {
      const source = join(work, 'rules.xslt')
      writeFileSync(source, xslt)
      say(`compiling ${pack.id} ${pack.version} to SaxonJS SEF (about 20 s, once) …`)
      const started = Date.now()
      await run(process.execPath, [xslt3, `-xsl:${source}`, `-export:${join(work, 'out.sef.json')}`, '-nogo', '-relocate:on', '-ns:##html5'], { maxBuffer: 16 * 1024 * 1024 })
      renameSync(join(work, 'out.sef.json'), sefPath)
      say(`compiled ${pack.id} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
    resolved.push({ ...pack, sefPath })
  }
  return resolved
}
