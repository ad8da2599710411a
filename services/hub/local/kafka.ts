// Apache Kafka, single-node KRaft (broker + controller in one JVM), from Maven Central.
// Version: 4.1.1, checked with kafkajs 2.2.4 (the kit's client): create topics, idempotent produce with
// acks=all, consumer-group consume and commit, fetchOffsets; no UnsupportedVersion in the broker log.
// kafkajs is used here directly only as the readiness probe of the server we start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, logLevel } from 'kafkajs'
import { buildClasspath, cacheDir } from './maven.js'
import { freePort, portIsFree, startServer, waitUntilReady, type ServerProcess } from './processes.js'

const run = promisify(execFile)

export const KAFKA_VERSION = process.env.FACTEUR_KAFKA_VERSION ?? '4.1.1'

const pom = fileURLToPath(new URL('./kafka/pom.xml', import.meta.url))

/** The broker's classpath, resolved once per version and cached (the jars themselves stay in ~/.m2). */
export async function kafkaClasspath(version = KAFKA_VERSION, say: (m: string) => void = () => {}): Promise<string> {
  const file = join(cacheDir(), `kafka-${version}.classpath`)
  if (existsSync(file)) {
    const cp = readFileSync(file, 'utf8').trim()
    if (cp.split(':').every((jar) => existsSync(jar))) return cp
  }
  say(`resolving Apache Kafka ${version} from Maven Central …`)
  mkdirSync(cacheDir(), { recursive: true })
  await buildClasspath(pom, file, { 'kafka.version': version })
  return readFileSync(file, 'utf8').trim()
}

const properties = (p: { brokerPort: number; controllerPort: number; dataDir: string }) => `# written by services/hub/local/kafka.ts
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${p.controllerPort}
listeners=PLAINTEXT://127.0.0.1:${p.brokerPort},CONTROLLER://127.0.0.1:${p.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${p.brokerPort},CONTROLLER://127.0.0.1:${p.controllerPort}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${p.dataDir}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
`

const log4j = `status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.console.ref = console
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = info
`

export type KafkaServer = { brokers: string; server: ServerProcess }

/**
 * Starts a broker with its data in `dir`. A kept data dir keeps its ports (the KRaft voter set records the
 * controller's address), so `npm start` restarts on the same ones.
 */
export async function startKafka(options: { dir: string; logFile: string; detached?: boolean; say?: (m: string) => void; portWaitMs?: number }): Promise<KafkaServer> {
  const say = options.say ?? (() => {})
  const classpath = await kafkaClasspath(KAFKA_VERSION, say)
  mkdirSync(options.dir, { recursive: true })
  const portsFile = join(options.dir, 'ports.json')
  let ports = existsSync(portsFile) ? JSON.parse(readFileSync(portsFile, 'utf8')) as { brokerPort: number; controllerPort: number } : null
  // After a `kill -9` of `npm start`, the previous JVM is stopped by its watchdog (TERM, then KILL after 15 s):
  // its ports are freed within about 20 s, so wait for them rather than fail a restart that would work.
  if (ports && !(await portsFreed([ports.brokerPort, ports.controllerPort], options.portWaitMs ?? 25_000))) {
    throw new Error(`Kafka's ports ${ports.brokerPort}/${ports.controllerPort} (kept in ${portsFile}) are still taken after ${(options.portWaitMs ?? 25_000) / 1000} s: another hub or \`npm run infra:up\` runs from this checkout? Stop it (\`npm run infra:down\`), or remove ${options.dir}`)
  }
  ports ??= { brokerPort: await freePort(), controllerPort: await freePort() }
  writeFileSync(portsFile, JSON.stringify(ports))
  const dataDir = join(options.dir, 'data')
  const configFile = join(options.dir, 'server.properties')
  const log4jFile = join(options.dir, 'log4j2.properties')
  writeFileSync(configFile, properties({ ...ports, dataDir }))
  writeFileSync(log4jFile, log4j)
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java'
  const jvm = ['-Xms128m', '-Xmx512m', '-XX:+ExitOnOutOfMemoryError', `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', classpath]
  // `format --ignore-formatted` is a no-op on a data dir formatted before (Kafka 4 needs it before first start),
  // but only if given the cluster id recorded there: another id fails with "Invalid cluster.id in
  // …/meta.properties". So a kept data dir is formatted with its own id (its topics, committed offsets and
  // unconsumed messages stay), a new one with a fresh id.
  const clusterId = recordedClusterId(dataDir) ?? randomBytes(16).toString('base64url')
  // `--cluster-id=<id>`, not `-t <id>`: a base64url id may start with '-', which argparse takes for an option.
  await run(java, [...jvm, 'kafka.tools.StorageTool', 'format', '--standalone', `--cluster-id=${clusterId}`, '-c', configFile, '--ignore-formatted'], { maxBuffer: 4 * 1024 * 1024 })
    .catch((error) => { throw new Error(`formatting Kafka's data dir failed: ${(error as { stderr?: string }).stderr ?? error}`, { cause: error }) })
  const server = startServer({ command: java, args: [...jvm, 'kafka.Kafka', configFile], logFile: options.logFile, detached: options.detached })
  const brokers = `127.0.0.1:${ports.brokerPort}`
  await waitUntilReady('Kafka', server, () => kafkaAnswers(brokers), 90_000)
  return { brokers, server }
}

/** The cluster id a data dir was formatted with (`cluster.id` in its meta.properties), or null for a new dir. */
export function recordedClusterId(dataDir: string): string | null {
  const file = join(dataDir, 'meta.properties')
  if (!existsSync(file)) return null
  const id = /^cluster\.id=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim()
  return id || null
}

/** Waits up to `timeoutMs` for every port to be free; false if one is still taken then. */
async function portsFreed(ports: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return true
    if (Date.now() >= deadline) return false
    await sleep(500)
  }
}

/** True when the broker answers a metadata request. */
export async function kafkaAnswers(brokers: string): Promise<boolean> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 }).admin()
  try {
    await admin.connect()
    await admin.describeCluster()
    return true
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => {})
  }
}
