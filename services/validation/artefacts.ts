// The validation artefacts of schematron/packs.json, made ready once per user and version:
// - official rule packs (XSLT in phive-rules jars): the jar and the file are checked against their pinned
//   sha256, then compiled to SaxonJS SEF;
// - our own Schematron (schematron/<pack>/*.sch): compiled to XSLT by SchXslt (itself XSLT, run on SaxonJS,
//   its jar pinned by sha256), then to SEF;
// - the XSDs of the three syntaxes (ph-ubl, ph-cii and ph-xsds jars, pinned by sha256), unpacked.
// Every pack is compiled wrapped in batch.xslt, so one transform can validate several documents (see
// saxon-engine.ts). Everything lands in ~/.cache/facteur under names derived from hashes; a file is written
// under a temporary name and renamed, so concurrent installs are safe.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, statSync, copyFileSync, readdirSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import { homedir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Syntax } from '../../schemas/events.js'

const run = promisify(execFile)

type JarRef = { maven: string; jarSha256: string }
export type PackEntry = {
  id: string; pack: string; version: string; title: string; syntaxes: Syntax[]
} & ({ maven: string; jarSha256: string; path: string; sha256: string; schematron?: undefined } | { schematron: string; maven?: undefined })
type Compiler = JarRef & { name: string; version: string; dir: string; entry: string; sha256: string }
type SchemaJar = JarRef & { from: string; to: string }
type SchemaEntry = { syntax: Syntax; title: string; imports: [string, string][] }
export type Manifest = { packs: PackEntry[]; schematronCompiler: Compiler; schemaJars: SchemaJar[]; schemas: SchemaEntry[] }

export type ResolvedPack = PackEntry & { sefPath: string }
export type ResolvedSchema = SchemaEntry & { xsdPath: string; dir: string }
export type Artefacts = { packs: ResolvedPack[]; schemas: ResolvedSchema[] }

const schematronDir = fileURLToPath(new URL('../../schematron/', import.meta.url))
const xslt3 = createRequire(import.meta.url).resolve('xslt3/xslt3.js')

export const loadManifest = (): Manifest => JSON.parse(readFileSync(join(schematronDir, 'packs.json'), 'utf8')) as Manifest

export const defaultCacheDir = () => process.env.FACTEUR_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'facteur')

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

export function jarPath(maven: string): string {
  const [group, artifact, version] = maven.split(':') as [string, string, string]
  return join(homedir(), '.m2', 'repository', ...group.split('.'), artifact, version, `${artifact}-${version}.jar`)
}

/** The jar from the local Maven repository, fetched by Maven when absent, checked against its pinned hash. */
async function verifiedJar(ref: JarRef, say: (m: string) => void): Promise<string> {
  const path = jarPath(ref.maven)
  if (!existsSync(path)) {
    say(`fetching ${ref.maven} from Maven Central …`)
    await run('mvn', ['-q', '-B', 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get', `-Dartifact=${ref.maven}`, '-Dtransitive=false'], { maxBuffer: 8 * 1024 * 1024 })
      .catch((error) => { throw new Error(`could not fetch ${ref.maven} with Maven (is mvn on the PATH and Maven Central reachable?): ${(error as { stdout?: string }).stdout ?? error}`, { cause: error }) })
  }
  const hash = sha256(readFileSync(path))
  if (hash !== ref.jarSha256) throw new Error(`${path} has sha256 ${hash}, expected ${ref.jarSha256} (schematron/packs.json); refusing to use it`)
  return path
}

/** The bytes of one member of a jar (`unzip -p`). */
async function readFromJar(jar: string, member: string): Promise<Buffer> {
  const { stdout } = await run('unzip', ['-p', jar, member], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
  return stdout
}

/** Unpacks the members of a jar under `folder` (a glob such as `xslt/2.0/*`) into `into`. */
async function extractFromJar(jar: string, folder: string, into: string): Promise<void> {
  await run('unzip', ['-qo', jar, folder, '-d', into], { maxBuffer: 8 * 1024 * 1024 })
}

/** Batch wrapper: `initialTemplate: 'batch'` with `docs` validates each document with the imported rules. */
const batchWrapper = `<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xsl:import href="rules.xslt"/>
  <xsl:param name="docs" as="xs:string*" select="()"/>
  <xsl:template name="batch">
    <batch><xsl:for-each select="$docs"><xsl:apply-templates select="parse-xml(.)"/></xsl:for-each></batch>
  </xsl:template>
</xsl:stylesheet>
`

async function compileToSef(xslt: Buffer, sefPath: string, label: string, say: (m: string) => void) {
  const work = `${sefPath}.${process.pid}.work`
  mkdirSync(work, { recursive: true })
  try {
    writeFileSync(join(work, 'rules.xslt'), xslt)
    writeFileSync(join(work, 'batch.xslt'), batchWrapper)
    say(`compiling ${label} to SaxonJS SEF (10-20 s, once) …`)
    const started = Date.now()
    await run(process.execPath, [xslt3, `-xsl:${join(work, 'batch.xslt')}`, `-export:${join(work, 'out.sef.json')}`, '-nogo', '-relocate:on', '-ns:##html5'], { maxBuffer: 16 * 1024 * 1024 })
    renameSync(join(work, 'out.sef.json'), sefPath)
    say(`compiled ${label} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** SchXslt unpacked once into the cache; returns its pipeline stylesheet. */
async function schematronCompiler(compiler: Compiler, cacheDir: string, say: (m: string) => void): Promise<string> {
  const dir = join(cacheDir, 'schxslt', compiler.jarSha256)
  const entry = join(dir, compiler.dir, compiler.entry)
  if (existsSync(entry)) return entry
  const jar = await verifiedJar(compiler, say)
  const tmp = `${dir}.${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  await extractFromJar(jar, `${compiler.dir}*`, tmp)
  const hash = sha256(readFileSync(join(tmp, compiler.dir, compiler.entry)))
  if (hash !== compiler.sha256) throw new Error(`${compiler.name} ${compiler.entry} has sha256 ${hash}, expected ${compiler.sha256}`)
  mkdirSync(dirname(dir), { recursive: true })
  try { renameSync(tmp, dir) } catch { rmSync(tmp, { recursive: true, force: true }) }
  return entry
}

/** The XSLT a pack's rules are: the official file from its jar, or our Schematron compiled by SchXslt. */
async function packXslt(pack: PackEntry, manifest: Manifest, cacheDir: string, say: (m: string) => void): Promise<Buffer> {
  if (pack.schematron === undefined) {
    const jar = await verifiedJar(pack, say)
    const xslt = await readFromJar(jar, pack.path)
    if (xslt.length === 0) throw new Error(`pack ${pack.id}: ${pack.path} not found in ${jar}`)
    const hash = sha256(xslt)
    if (hash !== pack.sha256) throw new Error(`pack ${pack.id}: ${pack.path} has sha256 ${hash}, expected ${pack.sha256} (schematron/packs.json); refusing to use it`)
    return xslt
  }
  const pipeline = await schematronCompiler(manifest.schematronCompiler, cacheDir, say)
  const out = join(cacheDir, `schxslt-out.${process.pid}.${pack.id}.xsl`)
  try {
    await run(process.execPath, [xslt3, `-xsl:${pipeline}`, `-s:${join(schematronDir, pack.schematron)}`, `-o:${out}`], { maxBuffer: 16 * 1024 * 1024 })
      .catch((error) => { throw new Error(`pack ${pack.id}: SchXslt could not compile ${pack.schematron}: ${(error as { stderr?: string }).stderr ?? error}`, { cause: error }) })
    return readFileSync(out)
  } finally {
    rmSync(out, { force: true })
  }
}

/** The cache key of a pack: the official file's hash, or our Schematron's hash with the compiler's. */
export function packKey(pack: PackEntry, manifest: Manifest): string {
  if (pack.schematron === undefined) return `${pack.sha256}.batch`
  return `${sha256(readFileSync(join(schematronDir, pack.schematron)) + manifest.schematronCompiler.sha256)}.sch.batch`
}

async function ensureSchemas(manifest: Manifest, cacheDir: string, say: (m: string) => void): Promise<ResolvedSchema[]> {
  const key = sha256(JSON.stringify([manifest.schemaJars, manifest.schemas]))
  const dir = join(cacheDir, 'xsd', key)
  const resolved = manifest.schemas.map((s) => ({ ...s, dir, xsdPath: join(dir, `facteur-${s.syntax}.xsd`) }))
  if (resolved.every((s) => existsSync(s.xsdPath))) return resolved
  const tmp = `${dir}.${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  for (const jar of manifest.schemaJars) {
    const path = await verifiedJar(jar, say)
    const out = join(tmp, '.unzip')
    mkdirSync(out, { recursive: true })
    await extractFromJar(path, `${jar.from}*`, out)
    copyTree(join(out, jar.from), join(tmp, jar.to))
    rmSync(out, { recursive: true, force: true })
  }
  // One schema per syntax that imports its namespaces in order: the XML-DSig, XAdES and CCTS modules whose
  // schemaLocation ph-ubl strips are loaded first, so the official files resolve offline, unchanged.
  for (const s of manifest.schemas) {
    const imports = s.imports.map(([ns, loc]) => {
      if (!existsSync(join(tmp, loc))) throw new Error(`schema ${s.syntax}: ${loc} is not in the schema jars of schematron/packs.json`)
      return `  <xsd:import namespace="${ns}" schemaLocation="${loc}"/>`
    })
    writeFileSync(join(tmp, `facteur-${s.syntax}.xsd`), `<?xml version="1.0" encoding="UTF-8"?>\n<!-- ${s.title}: generated by Facteur from schematron/packs.json -->\n<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:facteur:schema-set:${s.syntax}">\n${imports.join('\n')}\n</xsd:schema>\n`)
  }
  mkdirSync(dirname(dir), { recursive: true })
  try { renameSync(tmp, dir) } catch { rmSync(tmp, { recursive: true, force: true }) }
  say(`XML schemas ready in ${dir}`)
  return resolved
}

function copyTree(from: string, to: string) {
  // Moves an unpacked folder under `to`, merging when several jars fill the same folder (xsds/).
  mkdirSync(dirname(to), { recursive: true })
  if (!existsSync(to)) { renameSync(from, to); return }
  for (const name of readdirSync(from)) {
    const src = join(from, name), dst = join(to, name)
    if (statSync(src).isDirectory()) copyTree(src, dst)
    else copyFileSync(src, dst)
  }
}


/** Resolves, verifies and compiles every artefact of the manifest (fast when cached). */
export async function ensureArtefacts(options: { manifest?: Manifest; cacheDir?: string; onProgress?: (m: string) => void } = {}): Promise<Artefacts> {
  const say = options.onProgress ?? (() => {})
  const manifest = options.manifest ?? loadManifest()
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  const sefDir = join(cacheDir, 'sef')
  mkdirSync(sefDir, { recursive: true })
  const packs: ResolvedPack[] = []
  for (const pack of manifest.packs) {
    const sefPath = join(sefDir, `${packKey(pack, manifest)}.sef.json`)
    if (!(existsSync(sefPath) && statSync(sefPath).size > 0)) {
      await compileToSef(await packXslt(pack, manifest, cacheDir, say), sefPath, `${pack.id} ${pack.version}`, say)
    }
    packs.push({ ...pack, sefPath })
  }
  return { packs, schemas: await ensureSchemas(manifest, cacheDir, say) }
}
