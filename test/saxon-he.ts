// Saxon-HE for Java, for the tools that compare the project's engines with it: the benchmark (bench/validate.ts)
// and the native engine's differential test against Java (services/validation/native/java-differential.test.ts).
// Saxon-HE and its one required dependency come from Maven Central through Maven (pinned versions and sha256,
// fetched into ~/.m2 when absent, like the packs); each caller's small harness is Java source kept in its own
// file, compiled with javac into a temporary folder at each run, never committed.
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { jarPath } from '../services/validation/artefacts.js'

export const SAXON_HE = 'net.sf.saxon:Saxon-HE:12.9'
/** Saxon-HE 12's one required dependency, at the version its pom names. */
export const XMLRESOLVER = 'org.xmlresolver:xmlresolver:5.3.3'
const jars = [
  { maven: SAXON_HE, sha256: '8f3a9216a537367132293eacbba9df062eace8f8b16a184af59e2e4839d4cd41' },
  { maven: XMLRESOLVER, sha256: '1fe4d5b92f708dcdb82dbce12919e0171e6b5ca62c6dca6220483625098feb5f' },
]

const works = (command: string, args: string[]) => !spawnSync(command, args, { stdio: 'ignore', timeout: 60_000 }).error

/** Whether Saxon-HE for Java can run here, or why not (for a visible skip): a JDK, and Maven until the jars are in ~/.m2. */
export function saxonHeAvailable(): { ok: true } | { ok: false; reason: string } {
  if (!works('java', ['-version'])) return { ok: false, reason: 'no `java` on the PATH (Saxon-HE for Java needs a JDK)' }
  if (!works('javac', ['-version'])) return { ok: false, reason: 'no `javac` on the PATH (the harness is compiled at run time: install a JDK, not only a JRE)' }
  if (!jars.every((j) => existsSync(jarPath(j.maven))) && !works('mvn', ['-v'])) return { ok: false, reason: `no \`mvn\` on the PATH: Maven resolves ${SAXON_HE} from Maven Central on the first run` }
  return { ok: true }
}

/**
 * Saxon-HE's jars (fetched with Maven when absent, checked against their sha256) and the harness `sources`
 * (class name → Java source) compiled into `dir`: the classpath to run them with, or why it cannot be had.
 */
export function prepareSaxonHe(dir: string, sources: Record<string, string>, say: (m: string) => void): { classpath: string } | { skip: string } {
  const available = saxonHeAvailable()
  if (!available.ok) return { skip: available.reason }
  for (const { maven, sha256 } of jars) {
    const path = jarPath(maven)
    if (!existsSync(path)) {
      say(`fetching ${maven} from Maven Central …`)
      const r = spawnSync('mvn', ['-q', '-B', 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get', `-Dartifact=${maven}`, '-Dtransitive=false'], { encoding: 'utf8' })
      if (r.status !== 0 || !existsSync(path)) return { skip: `could not fetch ${maven} with Maven: ${(r.stdout || r.stderr || String(r.error)).trim().split('\n').pop()}` }
    }
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex')
    if (hash !== sha256) return { skip: `${path} has sha256 ${hash}, expected ${sha256}` }
  }
  const classpath = [...jars.map((j) => jarPath(j.maven)), dir].join(delimiter)
  const files = Object.entries(sources).map(([name, source]) => { const f = join(dir, `${name}.java`); writeFileSync(f, source); return f })
  const c = spawnSync('javac', ['-cp', classpath, '-d', dir, ...files], { encoding: 'utf8' })
  if (c.status !== 0) return { skip: `javac failed: ${c.stderr.trim().split('\n')[0]}` }
  return { classpath }
}
