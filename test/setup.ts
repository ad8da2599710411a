// Global setup of the integration tests: real Kafka, a real schema registry and a real PostgreSQL (reused
// from the environment, started as containers when a Docker engine answers, else provisioned locally by
// services/hub/local), then one hub on a unique topic prefix and a fresh database. Tests talk to it from the
// outside: HTTP, the status topic, the database, the recipients' folders.
import type { TestProject } from 'vitest/node'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../services/kit/config.js'
import { createLogger } from '../services/kit/log.js'
import { startInfra } from '../services/hub/local/infra.js'
import { startHub } from '../services/hub/hub.js'

export type HubUnderTest = {
  url: string; demoKey: string; adminKey: string; databaseUrl: string; kafkaBrokers: string; registryUrl: string
  topicPrefix: string; maxDocumentBytes: number; infraMode: string; logFile: string
  /** The portal's first operator and their setup link's token (the hub's first start in a fresh database). */
  portal: { email: string; setupToken: string | null }
}

declare module 'vitest' {
  export interface ProvidedContext { hub: HubUnderTest }
}

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))

export default async function setup(project: TestProject) {
  const started = Date.now()
  const runDir = join(root, '.facteur', 'test')
  const say = (msg: string) => process.stderr.write(`[setup] ${msg}\n`)
  const infra = await startInfra({ runDir, purpose: 'test', log: say })
  say(`infrastructure ready (${infra.mode}) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const topicPrefix = `it-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
  const logFile = join(runDir, 'logs', `hub-${topicPrefix}.log`)
  const config = loadConfig({
    FACTEUR_KAFKA_BROKERS: infra.kafkaBrokers,
    FACTEUR_SCHEMA_REGISTRY_URL: infra.registryUrl,
    DATABASE_URL: infra.databaseUrl,
    FACTEUR_TOPIC_PREFIX: topicPrefix,
    FACTEUR_HTTP_PORT: '0',
    FACTEUR_LOG_LEVEL: 'debug',
    FACTEUR_MAX_DOCUMENT_BYTES: String(2 * 1024 * 1024),
    FACTEUR_DELIVERY_ATTEMPTS: '3',
    FACTEUR_DELIVERY_BACKOFF_MS: '100',
    // Tests deliver to their own HTTP servers on 127.0.0.1 and to folders under the OS temporary folder: the
    // admin allows exactly those (localhost stays refused: tenants.test.ts checks the refusal with it).
    FACTEUR_DELIVERY_ALLOWED_HOSTS: '127.0.0.1',
    FACTEUR_DROP_ROOT: tmpdir(),
    // The files poll the API with a few keys as fast as they can; keys.test.ts checks 429 on a gateway of its own.
    FACTEUR_RATE_LIMIT_PER_SECOND: '100000',
    FACTEUR_RATE_LIMIT_BURST: '100000',
  })
  const keys = { demo: `fct_${randomBytes(24).toString('base64url')}`, admin: `fct_${randomBytes(24).toString('base64url')}` }
  const log = createLogger(config.logLevel, { run: topicPrefix }, logFile)
  let hub: Awaited<ReturnType<typeof startHub>>
  try {
    hub = await startHub({ config, log, keys })
  } catch (error) {
    await infra.stop()
    throw error
  }
  say(`hub up at ${hub.url} in ${((Date.now() - started) / 1000).toFixed(1)} s (log: ${logFile})`)
  project.provide('hub', {
    url: hub.url, demoKey: keys.demo, adminKey: keys.admin, databaseUrl: infra.databaseUrl, kafkaBrokers: infra.kafkaBrokers,
    registryUrl: infra.registryUrl, topicPrefix, maxDocumentBytes: config.maxDocumentBytes, infraMode: infra.mode, logFile, portal: hub.portal,
  })
  return async () => {
    await hub.stop()
    log.flush()
    await infra.stop()
  }
}
