// What every service receives: configuration, logger, PostgreSQL, Kafka and the Avro codec.
// Dependencies are arguments (no container), so a test can build them around its own servers.
import type { Config } from './config.js'
import type { Logger } from './log.js'
import { createDb, type Db } from './db.js'
import { connectKafka, type Bus, type Producer } from './kafka.js'
import { createCodec, type Codec } from './avro.js'
import { topics, topicName, dlqName } from '../../schemas/topics.js'

export type Deps = { config: Config; log: Logger; db: Db; bus: Bus; producer: Producer; codec: Codec }

/**
 * Awaits one start-up step; when it takes longer than `slowMs`, says so in the log (and again each time as long
 * again), so a start that hangs names what it waits for (the registry, the broker, a migration lock …).
 */
export async function startStep<T>(log: Logger, service: string, step: string, work: Promise<T>, slowMs = 15_000): Promise<T> {
  const started = Date.now()
  const timer = setInterval(() => log.warn({ service, step, waitingMs: Date.now() - started }, 'start-up step still waiting'), slowMs)
  try { return await work } finally { clearInterval(timer) }
}

export async function connectDeps(config: Config, log: Logger, name: string): Promise<Deps & { close(): Promise<void> }> {
  const db = createDb(config.databaseUrl, { application: `facteur-${name}` })
  const bus = connectKafka({ brokers: config.kafkaBrokers, clientId: `facteur-${name}`, log })
  try {
    const codec = await startStep(log, name, 'registering the schemas', createCodec({ registryUrl: config.schemaRegistryUrl, topicPrefix: config.topicPrefix }))
    const producer = await startStep(log, name, 'connecting the Kafka producer', bus.producer())
    return {
      config, log, db, bus, producer, codec,
      async close() { await bus.close(); await db.end() },
    }
  } catch (error) {
    await bus.close()
    await db.end()
    throw error
  }
}

/** Every topic the hub uses, with its dead-letter topic: created at start-up when missing. */
export function allTopics(config: Config): { name: string; partitions: number }[] {
  return Object.values(topics).flatMap((spec) => [
    { name: topicName(config.topicPrefix, spec), partitions: config.topicPartitions },
    ...(spec.dlq ? [{ name: dlqName(config.topicPrefix, spec), partitions: 1 }] : []),
  ])
}
