// Running one service as its own process: `npx facteur run <name>` (or `npx tsx services/<name>/main.ts`). Loads
// the configuration, connects, runs migrations and creates missing topics, starts the service, serves /healthz,
// /readyz and /metrics (kit/metrics.ts), and on SIGTERM or SIGINT stops consuming, lets in-flight work finish,
// commits and exits.
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { loadConfig, type Config } from './config.js'
import { createLogger, type Logger } from './log.js'
import { connectDeps, allTopics, startStep, type Deps } from './deps.js'
import { migrate } from './db.js'
import { infraChecks, serveHealth, type ReadinessCheck } from './health.js'
import type { Running } from './run-service.js'
import { registry } from './metrics.js'

export type ServiceStart = (deps: Deps) => Promise<Running>

/** True when `moduleUrl` is the file node was asked to run (so a main.ts can also be imported by the hub). */
export const isEntryPoint = (moduleUrl: string) => process.argv[1] !== undefined && fileURLToPath(moduleUrl) === process.argv[1]

/** Connects, migrates and ensures topics: what a service needs before it starts. */
export async function prepare(config: Config, log: Logger, name: string) {
  const deps = await connectDeps(config, log, name)
  await startStep(log, name, 'migrating the database', migrate(deps.db))
  await startStep(log, name, 'creating the topics', deps.bus.ensureTopics(allTopics(config)))
  return deps
}

export async function runServiceMain(name: string, start: ServiceStart, options: { health?: boolean } = {}): Promise<void> {
  let config: Config
  try { config = loadConfig(process.env) } catch (error) {
    console.error(String((error as Error).message))
    process.exit(2)
  }
  // The pid tells apart the instances of one service (npm start -- --replicas N, or several machines' logs).
  const log = createLogger(config.logLevel, { service: name, pid: process.pid })
  try {
    const deps = await prepare(config, log, name)
    const running = await start(deps)
    const checks: Record<string, ReadinessCheck> = { ...infraChecks(deps), [name]: running.ready }
    const metrics = { contentType: registry.contentType, text: () => registry.metrics() }
    const health = options.health === false ? null : await serveHealth({ host: config.httpHost, port: config.healthPort, checks, metrics })
    if (health) log.info({ health: `http://${config.httpHost}:${(health.address() as AddressInfo).port}/readyz` }, 'health endpoints up')
    let stopping = false
    const shutdown = async (signal: string) => {
      if (stopping) return
      stopping = true
      log.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'stopping: finishing in-flight work')
      let step = `${name}: in-flight work and commits`
      // A deadline, since during an outage of PostgreSQL or Kafka the in-flight message cannot finish and the
      // commit cannot reach the broker: exit anyway; what was not committed is redelivered at the next start.
      setTimeout(() => {
        log.error({ pending: step, timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed; exiting (uncommitted messages are redelivered at the next start)')
        process.exit(1)
      }, config.shutdownTimeoutMs).unref()
      await running.stop().catch((err) => log.error({ err }, 'stop failed'))
      step = 'closing the connections to Kafka and PostgreSQL'
      health?.close()
      await deps.close()
      log.info('stopped')
      process.exit(0)
    }
    process.on('SIGTERM', () => void shutdown('SIGTERM'))
    process.on('SIGINT', () => void shutdown('SIGINT'))
    // Started by `npm start -- --processes` (hub/supervisor.ts, over an IPC channel): tell it the service is up,
    // and stop when the supervisor is gone (killed outright) rather than run on as an orphan.
    if (process.send) {
      process.send({ facteur: 'started', service: name, ...('url' in running ? { url: running.url } : {}) })
      process.on('disconnect', () => void shutdown('supervisor gone'))
    }
  } catch (error) {
    log.fatal({ err: error }, 'could not start')
    process.exit(1)
  }
}
