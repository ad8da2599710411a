// Artefacts from Maven Central through the machine's Maven (jars stay in ~/.m2, Maven's own cache), and the
// per-user cache folder for everything else.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { homedir } from 'node:os'
import { join } from 'node:path'

const run = promisify(execFile)

export const cacheDir = () => join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'facteur')

export const m2Repository = () => join(homedir(), '.m2', 'repository')

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1'

export async function mvn(args: string[]): Promise<void> {
  try {
    await run('mvn', ['-q', '-B', ...args], { maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string; message: string }
    if (e.code === 'ENOENT') throw new Error('Maven (`mvn`) is not on the PATH: it is needed to fetch Kafka and the schema registry from Maven Central', { cause: error })
    throw new Error(`mvn ${args.join(' ')} failed:\n${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`, { cause: error })
  }
}

/** Writes the runtime classpath of `pom` to `outputFile`. */
export const buildClasspath = (pom: string, outputFile: string, properties: Record<string, string>) =>
  mvn(['-f', pom, ...Object.entries(properties).map(([k, v]) => `-D${k}=${v}`), `${DEPENDENCY_PLUGIN}:build-classpath`, `-Dmdep.outputFile=${outputFile}`])

/** Downloads one artefact (no transitive dependencies) into ~/.m2 and returns its path there. */
export async function fetchArtifact(groupId: string, artifactId: string, version: string, packaging = 'jar', classifier?: string): Promise<string> {
  const coordinate = [groupId, artifactId, version, packaging, ...(classifier ? [classifier] : [])].join(':')
  await mvn([`${DEPENDENCY_PLUGIN}:get`, `-Dartifact=${coordinate}`, '-Dtransitive=false'])
  return artifactPath(groupId, artifactId, version, packaging, classifier)
}

export const artifactPath = (groupId: string, artifactId: string, version: string, packaging = 'jar', classifier?: string) =>
  join(m2Repository(), ...groupId.split('.'), artifactId, version, `${artifactId}-${version}${classifier ? `-${classifier}` : ''}.${packaging}`)
