// Apicurio Registry (Confluent-compatible API under /apis/ccompat/v7) from Maven Central. Its version
// follows the Java found: 3.3.3 needs Java 21+ (a Temurin JDK under /usr/lib/jvm is used when present);
// on Java 17 alone, 3.1.7 (the last release built for 17). With a data dir (`npm start`, `infra:up`), storage is
// an H2 database file there: a schema id is written into every Kafka message (Confluent wire format), so the ids
// must survive a restart as the messages do. Without one (tests), storage is in memory and rebuilt from schemas/,
// which every service registers at start-up.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { artifactPath, cacheDir, fetchArtifact } from './maven.js'
import { freePort, portIsFree, startServer, waitUntilReady, type ServerProcess } from './processes.js'

const run = promisify(execFile)

/** A JDK at least `major`, from /usr/lib/jvm, or null. */
function findJdk(major: number): string | null {
  const root = '/usr/lib/jvm'
  if (!existsSync(root)) return null
  const candidates = readdirSync(root)
    .map((name) => ({ name, version: Number(/(?:^|-)(\d{2})(?:[.-]|$)/.exec(name)?.[1] ?? 0) }))
    .filter((c) => c.version >= major && existsSync(join(root, c.name, 'bin', 'java')))
    .sort((a, b) => b.version - a.version)
  return candidates[0] ? join(root, candidates[0].name, 'bin', 'java') : null
}

export function registryRuntime(): { version: string; java: string } {
  const modern = findJdk(21)
  return modern ? { version: '3.3.3', java: modern } : { version: '3.1.7', java: 'java' }
}

async function registryHome(version: string, say: (m: string) => void): Promise<string> {
  const home = join(cacheDir(), `apicurio-${version}`)
  const jar = [join(home, 'quarkus-run.jar'), join(home, 'quarkus-app', 'quarkus-run.jar')].find(existsSync)
  if (jar) return jar
  let archive = artifactPath('io.apicurio', 'apicurio-registry-app', version, 'tar.gz', 'all')
  if (!existsSync(archive)) {
    say(`downloading Apicurio Registry ${version} from Maven Central (about 160 MB, once) …`)
    archive = await fetchArtifact('io.apicurio', 'apicurio-registry-app', version, 'tar.gz', 'all')
  }
  mkdirSync(home, { recursive: true })
  await run('tar', ['-xzf', archive, '-C', home])
  const extracted = [join(home, 'quarkus-run.jar'), join(home, 'quarkus-app', 'quarkus-run.jar')].find(existsSync)
  if (!extracted) throw new Error(`no quarkus-run.jar in ${archive}`)
  return extracted
}

export type RegistryServer = { url: string; server: ServerProcess }

/**
 * A kept registry (`dataDir`) keeps its ports from one start to the next when they are free, as Kafka does, so that
 * what was pointed at its URL (a second hub, a client) still finds it after a restart; else two free ports.
 */
async function registryPorts(dataDir: string | undefined): Promise<{ port: number; managementPort: number }> {
  const file = dataDir && join(dataDir, 'ports.json')
  const before = file && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as { port: number; managementPort: number } : null
  const ports = before && await portIsFree(before.port) && await portIsFree(before.managementPort) ? before : { port: await freePort(), managementPort: await freePort() }
  if (file) writeFileSync(file, JSON.stringify(ports))
  return ports
}

export async function startRegistry(options: { logFile: string; detached?: boolean; say?: (m: string) => void; dataDir?: string }): Promise<RegistryServer> {
  const say = options.say ?? (() => {})
  const { version, java } = registryRuntime()
  const jar = await registryHome(version, say)
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
  const { port, managementPort } = await registryPorts(options.dataDir)
  const storage = options.dataDir
    // DB_CLOSE_ON_EXIT=FALSE: Quarkus closes the pool on shutdown itself; H2's own hook would race it.
    ? ['-Dapicurio.storage.kind=sql', '-Dapicurio.storage.sql.kind=h2', `-Dapicurio.datasource.url=jdbc:h2:file:${join(options.dataDir, 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
      '-Dapicurio.datasource.username=sa', '-Dapicurio.datasource.password=sa']
    : []
  const server = startServer({
    command: java,
    args: [
      '-Xms64m', '-Xmx512m', '-XX:+ExitOnOutOfMemoryError',
      '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${port}`,
      // 3.2+ serves health and metrics on a management port (9000 by default): bind it to loopback too.
      '-Dquarkus.management.host=127.0.0.1', `-Dquarkus.management.port=${managementPort}`,
      '-Dquarkus.log.category."io.quarkus.http.access-log".level=WARN',
      ...storage,
      '-jar', jar,
    ],
    logFile: options.logFile,
    detached: options.detached,
  })
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`
  await waitUntilReady(`Apicurio Registry ${version}`, server, () => registryAnswers(url), 90_000)
  return { url, server }
}

export async function registryAnswers(url: string): Promise<boolean> {
  const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(1000) }).catch(() => null)
  return res?.status === 200
}
