// The hub's infrastructure, whichever way it can be had:
//   external   — FACTEUR_KAFKA_BROKERS, FACTEUR_SCHEMA_REGISTRY_URL and DATABASE_URL all set: used as they are;
//   containers — a Docker engine answers (testcontainers): Kafka, Apicurio and PostgreSQL images;
//   local      — otherwise: Kafka and Apicurio from Maven Central as child JVMs, PostgreSQL local or embedded.
// Servers started by `npm run infra:up` (recorded in <runDir>/infra.json) are reused while they answer.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { startKafka, kafkaAnswers, KAFKA_VERSION } from './kafka.js'
import { startRegistry, registryAnswers, registryRuntime } from './registry.js'
import { resolveDatabase } from './postgres.js'
import { isAlive, terminate } from './processes.js'

export type InfraEndpoints = { kafkaBrokers: string; registryUrl: string; databaseUrl: string }
export type Infra = InfraEndpoints & { mode: 'external' | 'containers' | 'local'; stop(): Promise<void> }

export type Recorded = { kafka: { pid: number; brokers: string }; registry: { pid: number; url: string }; startedAt: string }

export const stateFile = (runDir: string) => join(runDir, 'infra.json')

/** Servers recorded by `infra:up` that are still alive and answering, or null. */
export async function recordedServers(runDir: string): Promise<Recorded | null> {
  if (!existsSync(stateFile(runDir))) return null
  const r = JSON.parse(readFileSync(stateFile(runDir), 'utf8')) as Recorded
  const alive = isAlive(r.kafka.pid) && isAlive(r.registry.pid) && (await kafkaAnswers(r.kafka.brokers)) && (await registryAnswers(r.registry.url))
  return alive ? r : null
}

async function dockerAvailable(): Promise<boolean> {
  if (process.env.FACTEUR_INFRA === 'local') return false
  try {
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
    return true
  } catch {
    return false
  }
}

export async function startInfra(options: { runDir: string; log?: (msg: string) => void; purpose: 'start' | 'test'; env?: NodeJS.ProcessEnv }): Promise<Infra> {
  const env = options.env ?? process.env
  const say = options.log ?? (() => {})
  mkdirSync(join(options.runDir, 'logs'), { recursive: true })

  if (env.FACTEUR_KAFKA_BROKERS && env.FACTEUR_SCHEMA_REGISTRY_URL && env.DATABASE_URL) {
    say('using the servers named by FACTEUR_KAFKA_BROKERS, FACTEUR_SCHEMA_REGISTRY_URL and DATABASE_URL')
    const db = await resolveDatabase({ purpose: options.purpose, env, runDir: options.runDir, say })
    return { mode: 'external', kafkaBrokers: env.FACTEUR_KAFKA_BROKERS, registryUrl: env.FACTEUR_SCHEMA_REGISTRY_URL, databaseUrl: db.url, stop: db.stop }
  }
  if (await dockerAvailable()) return startContainers(say)

  const stops: (() => Promise<void>)[] = []
  const stop = async () => { for (const s of stops.splice(0).reverse()) await s().catch(() => {}) }
  try {
    const db = await resolveDatabase({ purpose: options.purpose, env, runDir: options.runDir, say })
    stops.push(db.stop)
    say(`PostgreSQL: ${db.source}`)
    const recorded = await recordedServers(options.runDir)
    if (recorded) {
      say(`reusing Kafka ${recorded.kafka.brokers} and the registry ${recorded.registry.url} started by \`npm run infra:up\``)
      return { mode: 'local', kafkaBrokers: recorded.kafka.brokers, registryUrl: recorded.registry.url, databaseUrl: db.url, stop }
    }
    // Tests get throw-away Kafka data; `npm start` keeps its data (and ports) in the run dir across restarts.
    const kafkaDir = options.purpose === 'test' ? join(options.runDir, `kafka-${randomBytes(4).toString('hex')}`) : join(options.runDir, 'kafka')
    const started = Date.now()
    const [kafka, registry] = await Promise.all([
      startKafka({ dir: kafkaDir, logFile: join(options.runDir, 'logs', 'kafka.log'), say }).then((k) => {
        stops.push(async () => { await k.server.stop(); if (options.purpose === 'test') rmSync(kafkaDir, { recursive: true, force: true }) })
        say(`Kafka ${KAFKA_VERSION} ready at ${k.brokers} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
        return k
      }),
      // `npm start` keeps the registry's schema ids with the Kafka messages that carry them (registry.ts).
      startRegistry({ logFile: join(options.runDir, 'logs', 'registry.log'), say, dataDir: options.purpose === 'start' ? join(options.runDir, 'registry') : undefined }).then((r) => {
        stops.push(() => r.server.stop())
        say(`Apicurio Registry ${registryRuntime().version} ready at ${r.url} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
        return r
      }),
    ])
    return { mode: 'local', kafkaBrokers: kafka.brokers, registryUrl: registry.url, databaseUrl: db.url, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** `npm run infra:up`: Kafka and the registry as detached servers, recorded for reuse by later runs. */
export async function infraUp(runDir: string, say: (m: string) => void): Promise<Recorded> {
  mkdirSync(join(runDir, 'logs'), { recursive: true })
  const existing = await recordedServers(runDir)
  if (existing) return existing
  const [kafka, registry] = await Promise.all([
    startKafka({ dir: join(runDir, 'kafka'), logFile: join(runDir, 'logs', 'kafka.log'), detached: true, say }),
    startRegistry({ logFile: join(runDir, 'logs', 'registry.log'), detached: true, say, dataDir: join(runDir, 'registry') }),
  ])
  const recorded: Recorded = { kafka: { pid: kafka.server.pid, brokers: kafka.brokers }, registry: { pid: registry.server.pid, url: registry.url }, startedAt: new Date().toISOString() }
  writeFileSync(stateFile(runDir), JSON.stringify(recorded, null, 2))
  return recorded
}

export async function infraDown(runDir: string): Promise<boolean> {
  if (!existsSync(stateFile(runDir))) return false
  const r = JSON.parse(readFileSync(stateFile(runDir), 'utf8')) as Recorded
  await Promise.all([terminate(r.kafka.pid), terminate(r.registry.pid)])
  rmSync(stateFile(runDir), { force: true })
  return true
}

// The same topology as docker-compose.yml. Not exercised on our machines (no Docker engine there).
async function startContainers(say: (m: string) => void): Promise<Infra> {
  say('a Docker engine answers: starting Kafka, Apicurio and PostgreSQL containers')
  const { GenericContainer, Wait } = await import('testcontainers')
  const kafkaPort = 9092
  const [kafka, registry, postgres] = await Promise.all([
    new GenericContainer(`apache/kafka:${KAFKA_VERSION}`)
      .withExposedPorts({ container: kafkaPort, host: kafkaPort })
      .withEnvironment({
        KAFKA_NODE_ID: '1', KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: `PLAINTEXT://:${kafkaPort},CONTROLLER://:9093`, KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER', KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093', KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1', KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0', KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/)).start(),
    new GenericContainer('apicurio/apicurio-registry:3.3.3').withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080)).start(),
    new GenericContainer('postgres:15').withExposedPorts(5432)
      .withEnvironment({ POSTGRES_PASSWORD: 'postgres', POSTGRES_DB: 'facteur' })
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2)).start(),
  ])
  return {
    mode: 'containers',
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(kafkaPort)}`,
    registryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
    databaseUrl: `postgres://postgres:postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/facteur`,
    async stop() { await Promise.allSettled([kafka.stop(), registry.stop(), postgres.stop()]) },
  }
}
