// veraPDF (the PDF/A validator of the PDF Association's veraPDF consortium; its "greenfield" build, 1.28.2 from
// Maven Central) for the tests: is a PDF the hub writes (a Factur-X, services/pdf/facturx-out.ts) a conforming
// PDF/A file, and if not, which rules of ISO 19005 does it break.
//
// org.verapdf.apps:greenfield-apps is a self-contained jar (its dependencies are shaded into it), so one artefact
// is fetched, without its transitive dependencies. Its manifest starts the GUI (GreenfieldGuiWrapper); the command
// line is org.verapdf.apps.GreenfieldCliWrapper, and `--format json` gives a machine-readable report. Like
// test/phase4.ts, ensureVeraPdf() resolves it with Maven on the first run (9.5 MB into ~/.m2) and remembers the
// jar under ~/.cache/facteur/verapdf/<sha256 of the coordinate>/, so later runs need neither Maven nor the
// network; veraPdfAvailable() says why not, for a visible skip.
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { cacheDir, fetchArtifact } from '../services/hub/local/maven.js'

const run = promisify(execFile)
const coordinate = { groupId: 'org.verapdf.apps', artifactId: 'greenfield-apps', version: '1.28.2' } as const
const MAIN_CLASS = 'org.verapdf.apps.GreenfieldCliWrapper'
/** A short-lived JVM on a 2-core machine: C1 only and the serial collector (as test/phase4.ts). */
const JVM_OPTIONS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC']
const say = (line: string) => process.stderr.write(`[verapdf] ${line}\n`)

export type VeraPdfAvailability = { ok: true } | { ok: false; reason: string }

const works = (command: string, args: string[]) => {
  try { execFileSync(command, args, { stdio: 'ignore', timeout: 60_000 }); return true } catch { return false }
}
let availability: VeraPdfAvailability | undefined

/** Whether veraPDF can run here, and if not why: a Java runtime, and Maven until the jar is cached. */
export function veraPdfAvailable(): VeraPdfAvailability {
  if (availability) return availability
  if (!works('java', ['-version'])) availability = { ok: false, reason: 'no `java` on the PATH (veraPDF needs a Java 11+ runtime)' }
  else if (!cachedJar() && !works('mvn', ['-v'])) availability = { ok: false, reason: 'no `mvn` on the PATH: Maven fetches veraPDF from Maven Central on the first run' }
  else availability = { ok: true }
  return availability
}

/** ~/.cache/facteur/verapdf/<sha256 of the coordinate>. */
function cacheFolder(): string {
  const key = `${coordinate.groupId}:${coordinate.artifactId}:${coordinate.version}:${MAIN_CLASS}`
  return join(cacheDir(), 'verapdf', createHash('sha256').update(key).digest('hex'))
}

/** The jar remembered by an earlier run, while it is still in ~/.m2. */
function cachedJar(): string | null {
  try {
    const jar = readFileSync(join(cacheFolder(), 'jar.txt'), 'utf8').trim()
    return jar && existsSync(jar) ? jar : null
  } catch {
    return null
  }
}

let resolving: Promise<{ jar: string }> | undefined

/** The veraPDF jar: fetched with Maven on the first call of a machine, then read from the cache. */
export function ensureVeraPdf(): Promise<{ jar: string }> {
  resolving ??= resolve().catch((error: unknown) => { resolving = undefined; throw error })
  return resolving
}

async function resolve(): Promise<{ jar: string }> {
  const hit = cachedJar()
  if (hit) return { jar: hit }
  const available = veraPdfAvailable()
  if (!available.ok) throw new Error(`veraPDF cannot be fetched: ${available.reason}`)
  const { groupId, artifactId, version } = coordinate
  say(`fetching ${groupId}:${artifactId}:${version} with Maven (about 9.5 MB from Maven Central into ~/.m2) …`)
  const started = Date.now()
  const jar = await fetchArtifact(groupId, artifactId, version)
  // A run of its own (`--version`) before the jar is remembered: a jar that does not start is not cached.
  const { stdout } = await run('java', [...JVM_OPTIONS, '-cp', jar, MAIN_CLASS, '--version'], { timeout: 120_000 })
  say(`${stdout.split('\n')[0]?.trim() ?? 'veraPDF'} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  mkdirSync(cacheFolder(), { recursive: true })
  writeFileSync(join(cacheFolder(), 'jar.txt'), jar)
  return { jar }
}

/** The PDF/A flavours the tests ask for (veraPDF's --flavour values). */
export type Flavour = '1b' | '2b' | '2u' | '3b' | '3u'

/** A rule of ISO 19005 that the file breaks, as veraPDF reports it. */
export type FailedRule = {
  specification: string     // e.g. ISO 19005-3:2012
  clause: string            // e.g. 6.6.2.1
  testNumber: number
  description: string
  failedChecks: number
  messages: string[]        // the first checks' error messages and where (context) they failed
}

export type VeraPdfResult = {
  compliant: boolean
  profile: string           // e.g. PDF/A-3B validation profile
  statement: string
  passedRules: number
  failedRules: FailedRule[]
  version: string           // veraPDF's
}

type Report = {
  report: {
    buildInformation?: { releaseDetails?: { id: string; version: string }[] }
    jobs: {
      validationResult?: {
        compliant: boolean; profileName: string; statement: string
        details: {
          passedRules: number
          ruleSummaries: { ruleStatus?: string; specification: string; clause: string; testNumber: number; description: string; failedChecks: number; checks?: { context?: string; errorMessage?: string }[] }[]
        }
      }[]
      taskException?: { exception?: string; message?: string }[] | { exception?: string; message?: string }
    }[]
  }
}

/** Validates `file` against one PDF/A flavour; the parsed report. Throws when veraPDF could not validate it at all. */
export async function verapdf(file: string, options: { flavour: Flavour }): Promise<VeraPdfResult> {
  const { jar } = await ensureVeraPdf()
  const args = [...JVM_OPTIONS, '-cp', jar, MAIN_CLASS, '--flavour', options.flavour, '--format', 'json', '--maxfailuresdisplayed', '5', file]
  let stdout: string
  try {
    ({ stdout } = await run('java', args, { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }))
  } catch (error) {
    // Exit code 1 is "not compliant", with the full report on stdout; anything else is a failure to validate.
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string }
    if (e.code !== 1 || !e.stdout) throw new Error(`veraPDF failed on ${file} (exit ${String(e.code)}):\n${(e.stderr ?? e.message).slice(-4000)}`, { cause: error })
    stdout = e.stdout
  }
  const report = (JSON.parse(stdout) as Report).report
  const job = report.jobs[0]
  const result = job?.validationResult?.[0]
  if (!result) throw new Error(`veraPDF did not validate ${file}: ${JSON.stringify(job?.taskException ?? report).slice(0, 2000)}`)
  return {
    compliant: result.compliant,
    profile: result.profileName,
    statement: result.statement,
    passedRules: result.details.passedRules,
    failedRules: result.details.ruleSummaries.filter((r) => r.ruleStatus !== 'PASSED').map((r) => ({
      specification: r.specification,
      clause: r.clause,
      testNumber: r.testNumber,
      description: r.description,
      failedChecks: r.failedChecks,
      messages: (r.checks ?? []).map((c) => `${c.errorMessage ?? ''} (${c.context ?? ''})`),
    })),
    version: report.buildInformation?.releaseDetails?.find((d) => d.id === 'core')?.version ?? 'unknown',
  }
}
