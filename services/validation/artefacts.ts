// The validation artefacts of schematron/packs.json, made ready once per user and version:
// - official rule packs (XSLT in phive-rules jars): the jar and the file are checked against their pinned
//   sha256, then compiled to SaxonJS SEF;
// - our own Schematron (schematron/<pack>/*.sch): compiled to XSLT by SchXslt (itself XSLT, run on SaxonJS,
//   its jar pinned by sha256), then to SEF;
// - the XSDs of the three syntaxes (ph-ubl, ph-cii and ph-xsds jars, pinned by sha256), unpacked;
// - OpenPeppol's reporting artefacts (`reporting`: the Schematron XSLT and XSD of the Transaction Statistics
//   and End User Statistics reports, in the phive-rules-peppol jar): checked like the packs, the XSLT compiled
//   to SEF the same way, the XSD copied into the cache; see ensureReportingArtefacts;
// - rule packs the operator supplies (`suppliedPacks`: files no registry carries, such as OpenPeppol's
//   PEPPOL-EN16931-CII.sch): looked for in FACTEUR_PACKS_DIR by their pinned sha256 (whatever their name),
//   compiled like our own Schematron when there; when not, recorded as missing, with the severity the
//   operator chose for documents that call for them (FACTEUR_MISSING_PACK_SEVERITY).
// Every pack is compiled wrapped in batch.xslt, so one transform can validate several documents (see
// saxon-engine.ts). Everything lands in ~/.cache/facteur under names derived from hashes; a file is written
// under a temporary name and renamed, so concurrent installs are safe.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, statSync, copyFileSync, readdirSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import { homedir } from 'node:os'
import { join, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Syntax } from '../../schemas/events.js'
import { settings } from '../kit/config.js'

const run = promisify(execFile)

type JarRef = { maven: string; jarSha256: string }
export type PackEntry = {
  id: string; pack: string; version: string; title: string; syntaxes: Syntax[]
} & ({ maven: string; jarSha256: string; path: string; sha256: string; schematron?: undefined } | { schematron: string; maven?: undefined })
type Compiler = JarRef & { name: string; version: string; dir: string; entry: string; sha256: string }
type SchemaJar = JarRef & { from: string; to: string }
type SchemaEntry = { syntax: Syntax; title: string; imports: [string, string][] }
/**
 * A rule pack no registry carries, which the operator supplies (packs.json `suppliedPacks`): the file's name
 * in the release, its pinned sha256, where to download it (`from`: the release page; `url`: the file itself).
 */
export type SuppliedPackEntry = {
  id: string; pack: string; version: string; title: string; syntaxes: Syntax[]
  supplied: { file: string; sha256: string; from: string; url?: string; licence?: string }
}
/**
 * One Peppol report's official rules (packs.json `reporting`): its Schematron as XSLT (`path`, `sha256`) and its
 * XML schema (`xsd`), both from one jar. `report` is the kind the reporting code asks for.
 */
export type ReportingEntry = JarRef & {
  id: string; report: 'tsr' | 'eusr'; version: string; title: string
  path: string; sha256: string; xsd: { version: string; path: string; sha256: string }
}
export type Manifest = {
  packs: PackEntry[]; suppliedPacks?: SuppliedPackEntry[]; schematronCompiler: Compiler; schemaJars: SchemaJar[]; schemas: SchemaEntry[]
  reporting?: ReportingEntry[]
}

export type ResolvedPack = PackEntry & { sefPath: string }
export type ResolvedSchema = SchemaEntry & { xsdPath: string; dir: string }
/** A report's rules made ready: the Schematron compiled to SEF (`sefPath`), the XSD in the cache (`xsdPath`). */
export type ResolvedReporting = ReportingEntry & { sefPath: string; xsdPath: string }
export type MissingPackSeverity = 'fatal' | 'warning'
/**
 * A supplied pack found in the packs folder (`path`, its sha256 checked) and compiled to SEF. `nativeVerified`:
 * its native form agreed with SaxonJS in supplied-packs.test.ts (verifiedSuppliedPacks); the native engine
 * runs only such packs, SaxonJS the others.
 */
export type ResolvedSuppliedPack = SuppliedPackEntry & { status: 'supplied'; path: string; sefPath: string; nativeVerified: boolean }
/**
 * A supplied pack that is not in the packs folder: a document that calls for it gets FACTEUR-PACK-MISSING with
 * `severity`. `wrongFile`: a file with the pack's name is there, with another sha256 (another release?).
 */
export type MissingSuppliedPack = SuppliedPackEntry & { status: 'missing'; packsDir: string; severity: MissingPackSeverity; wrongFile?: { path: string; sha256: string } }
export type SuppliedPackState = ResolvedSuppliedPack | MissingSuppliedPack
/** `supplied`: every pack of packs.json's `suppliedPacks`, supplied or missing (absent: none declared). */
export type Artefacts = { packs: ResolvedPack[]; schemas: ResolvedSchema[]; supplied?: SuppliedPackState[] }

/**
 * The supplied packs (`id:version`) whose native form supplied-packs.test.ts has run against SaxonJS, green,
 * with the pinned file present (as native/source.ts's verifiedNativePacks for the packs of `packs`). The
 * others run on SaxonJS even with the native engine. None yet: OpenPeppol's PEPPOL-EN16931-CII.sch declares
 * schema-level variables and XSLT functions, which the native Schematron loader (native/load-sch.ts) does not
 * read yet, and it has not been run here.
 */
export const verifiedSuppliedPacks: readonly string[] = []

const schematronDir = fileURLToPath(new URL('../../schematron/', import.meta.url))
const xslt3 = createRequire(import.meta.url).resolve('xslt3/xslt3.js')

export const loadManifest = (): Manifest => JSON.parse(readFileSync(join(schematronDir, 'packs.json'), 'utf8')) as Manifest

export const defaultCacheDir = () => process.env.FACTEUR_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'facteur')

/** The checkout: the nearest folder above this module with a package.json (from the sources and from dist/). */
function checkoutRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) return process.cwd()
  }
}

/** FACTEUR_PACKS_DIR, a relative path taken from the checkout (so the services and `npx facteur` anywhere agree). */
export function defaultPacksDir(env: Record<string, string | undefined> = process.env): string {
  const s = settings.packsDir
  return resolve(checkoutRoot(), s.parse(env[s.env] ?? s.default, s.env))
}

/** FACTEUR_MISSING_PACK_SEVERITY. */
export function defaultMissingPackSeverity(env: Record<string, string | undefined> = process.env): MissingPackSeverity {
  const s = settings.missingPackSeverity
  return s.parse(env[s.env] ?? s.default, s.env)
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

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

/** One official file from its verified jar, checked against its own pinned sha256. */
async function officialFile(ref: JarRef, id: string, path: string, expected: string, say: (m: string) => void): Promise<Buffer> {
  const jar = await verifiedJar(ref, say)
  const bytes = await readFromJar(jar, path)
  if (bytes.length === 0) throw new Error(`pack ${id}: ${path} not found in ${jar}`)
  const hash = sha256(bytes)
  if (hash !== expected) throw new Error(`pack ${id}: ${path} has sha256 ${hash}, expected ${expected} (schematron/packs.json); refusing to use it`)
  return bytes
}

/** The XSLT a pack's rules are: the official file from its jar, or our Schematron compiled by SchXslt. */
async function packXslt(pack: PackEntry, manifest: Manifest, cacheDir: string, say: (m: string) => void): Promise<Buffer> {
  if (pack.schematron === undefined) return officialFile(pack, pack.id, pack.path, pack.sha256, say)
  return schematronToXslt(join(schematronDir, pack.schematron), pack.id, manifest, cacheDir, say)
}

/** A Schematron file compiled to XSLT by SchXslt (run on SaxonJS). */
async function schematronToXslt(file: string, id: string, manifest: Manifest, cacheDir: string, say: (m: string) => void): Promise<Buffer> {
  const pipeline = await schematronCompiler(manifest.schematronCompiler, cacheDir, say)
  const out = join(cacheDir, `schxslt-out.${process.pid}.${id}.xsl`)
  try {
    await run(process.execPath, [xslt3, `-xsl:${pipeline}`, `-s:${file}`, `-o:${out}`], { maxBuffer: 16 * 1024 * 1024 })
      .catch((error) => { throw new Error(`pack ${id}: SchXslt could not compile ${file}: ${(error as { stderr?: string }).stderr ?? error}`, { cause: error }) })
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

/** The cache key of a supplied pack: its pinned sha256 with the compiler's. */
export const suppliedPackKey = (entry: SuppliedPackEntry, manifest: Manifest): string =>
  `${sha256(`${entry.supplied.sha256}\n${manifest.schematronCompiler.sha256}`)}.supplied.batch`

export const suppliedSefPath = (entry: SuppliedPackEntry, manifest: Manifest, cacheDir = defaultCacheDir()): string =>
  join(cacheDir, 'sef', `${suppliedPackKey(entry, manifest)}.sef.json`)

/** Files of the packs folder a supplied pack may be: regular files, not the temporary copies of `packs add`. */
const candidateFiles = (dir: string): string[] => {
  let names: string[]
  try { names = readdirSync(dir).sort() } catch { return [] }
  return names.filter((n) => !n.startsWith('.') && !n.endsWith('.tmp')).map((n) => join(dir, n)).filter((p) => {
    try { const st = statSync(p); return st.isFile() && st.size <= 64 * 1024 * 1024 } catch { return false }
  })
}

/**
 * Where the pack's file is in `dir`: under its own name first, else any file with its sha256 (read once per
 * call of `hashes`, shared by the packs looked for). `wrongFile`: its name is there with another sha256.
 */
export function findSuppliedFile(entry: SuppliedPackEntry, dir: string, hashes = new Map<string, string>()): { path: string } | { path?: undefined; wrongFile?: { path: string; sha256: string } } {
  const hashOf = (p: string) => { let h = hashes.get(p); if (h === undefined) hashes.set(p, h = sha256(readFileSync(p))); return h }
  const files = candidateFiles(dir)
  const named = join(dir, entry.supplied.file)
  const ordered = files.includes(named) ? [named, ...files.filter((p) => p !== named)] : files
  for (const p of ordered) if (hashOf(p) === entry.supplied.sha256) return { path: p }
  return files.includes(named) ? { wrongFile: { path: named, sha256: hashOf(named) } } : {}
}

/**
 * Compiles a supplied pack's file (checked against its pinned sha256 as it is read) to SaxonJS SEF, as our own
 * Schematron is (SchXslt, then xslt3), once: cached under suppliedPackKey. Returns the SEF's path.
 */
export async function compileSuppliedPack(entry: SuppliedPackEntry, file: string, options: { manifest?: Manifest; cacheDir?: string; onProgress?: (m: string) => void } = {}): Promise<string> {
  const say = options.onProgress ?? (() => {})
  const manifest = options.manifest ?? loadManifest()
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  const sefPath = suppliedSefPath(entry, manifest, cacheDir)
  if (existsSync(sefPath) && statSync(sefPath).size > 0) return sefPath
  mkdirSync(dirname(sefPath), { recursive: true })
  // The bytes checked are the bytes compiled: a copy in the cache, not the file, which could change meanwhile.
  const bytes = readFileSync(file)
  const hash = sha256(bytes)
  if (hash !== entry.supplied.sha256) throw new Error(`pack ${entry.id}: ${file} has sha256 ${hash}, expected ${entry.supplied.sha256} (schematron/packs.json); refusing to use it`)
  const copy = join(cacheDir, `supplied-in.${process.pid}.${entry.id}.sch`)
  try {
    writeFileSync(copy, bytes)
    await compileToSef(await schematronToXslt(copy, entry.id, manifest, cacheDir, say), sefPath, `${entry.id} ${entry.version} (supplied)`, say)
  } finally {
    rmSync(copy, { force: true })
  }
  return sefPath
}

/** Each supplied pack of the manifest: found in `packsDir` and compiled, or missing. */
export async function resolveSuppliedPacks(manifest: Manifest, options: {
  cacheDir: string; packsDir: string; severity: MissingPackSeverity; verified: readonly string[]; say: (m: string) => void
}): Promise<SuppliedPackState[]> {
  const hashes = new Map<string, string>()
  const out: SuppliedPackState[] = []
  for (const entry of manifest.suppliedPacks ?? []) {
    const found = findSuppliedFile(entry, options.packsDir, hashes)
    if (found.path === undefined) {
      const wrong = found.wrongFile ? ` (${found.wrongFile.path} has sha256 ${found.wrongFile.sha256}: another release?)` : ''
      options.say(`rule pack ${entry.id} ${entry.version} is not supplied${wrong}: documents that call for it get FACTEUR-PACK-MISSING (${options.severity}); see npx facteur packs list`)
      out.push({ ...entry, status: 'missing', packsDir: options.packsDir, severity: options.severity, ...(found.wrongFile ? { wrongFile: found.wrongFile } : {}) })
      continue
    }
    const sefPath = await compileSuppliedPack(entry, found.path, { manifest, cacheDir: options.cacheDir, onProgress: options.say })
    out.push({ ...entry, status: 'supplied', path: found.path, sefPath, nativeVerified: options.verified.includes(`${entry.id}:${entry.version}`) })
  }
  return out
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


/**
 * Resolves, verifies and compiles every artefact of the manifest (fast when cached), and the supplied packs
 * found in `packsDir` (default FACTEUR_PACKS_DIR). `missingPackSeverity` (default FACTEUR_MISSING_PACK_SEVERITY)
 * is what documents get for a supplied pack that is missing; `verifiedSupplied` (default verifiedSuppliedPacks)
 * the supplied packs the native engine may run.
 */
export async function ensureArtefacts(options: {
  manifest?: Manifest; cacheDir?: string; onProgress?: (m: string) => void
  packsDir?: string; missingPackSeverity?: MissingPackSeverity; verifiedSupplied?: readonly string[]
} = {}): Promise<Artefacts> {
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
  const supplied = await resolveSuppliedPacks(manifest, {
    cacheDir, say, packsDir: options.packsDir ?? defaultPacksDir(),
    severity: options.missingPackSeverity ?? defaultMissingPackSeverity(), verified: options.verifiedSupplied ?? verifiedSuppliedPacks,
  })
  return { packs, schemas: await ensureSchemas(manifest, cacheDir, say), supplied }
}

/**
 * OpenPeppol's reporting rules (packs.json `reporting`), made ready once: the Schematron XSLT compiled to SEF as
 * the official packs are (cached under the same key, `<sha256>.batch`), the XSD copied into the cache under its
 * sha256 (written under a temporary name and renamed). Not part of ensureArtefacts: documents never need them,
 * only the monthly reports (services/peppol/reporting-check.ts) do.
 */
export async function ensureReportingArtefacts(options: { manifest?: Manifest; cacheDir?: string; onProgress?: (m: string) => void } = {}): Promise<ResolvedReporting[]> {
  const say = options.onProgress ?? (() => {})
  const manifest = options.manifest ?? loadManifest()
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  mkdirSync(join(cacheDir, 'sef'), { recursive: true })
  mkdirSync(join(cacheDir, 'reporting'), { recursive: true })
  const out: ResolvedReporting[] = []
  for (const entry of manifest.reporting ?? []) {
    const sefPath = join(cacheDir, 'sef', `${entry.sha256}.batch.sef.json`)
    if (!(existsSync(sefPath) && statSync(sefPath).size > 0)) {
      await compileToSef(await officialFile(entry, entry.id, entry.path, entry.sha256, say), sefPath, `${entry.id} ${entry.version}`, say)
    }
    const xsdPath = join(cacheDir, 'reporting', `${entry.xsd.sha256}.xsd`)
    if (!existsSync(xsdPath)) {
      const tmp = `${xsdPath}.${process.pid}.tmp`
      writeFileSync(tmp, await officialFile(entry, entry.id, entry.xsd.path, entry.xsd.sha256, say))
      renameSync(tmp, xsdPath)
    }
    out.push({ ...entry, sefPath, xsdPath })
  }
  return out
}
