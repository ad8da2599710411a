// The hub's only door to Kafka. kafkajs 2.2.4 is unmaintained (last release 2023-02-27), so nothing outside
// this file sees it: services use Bus/Producer/Consumer below, and a librdkafka-based client can replace
// kafkajs by re-implementing this file alone.
import { Kafka, logLevel, type Consumer as KjsConsumer, type LogEntry, type Producer as KjsProducer } from 'kafkajs'
import type { Logger } from './log.js'

export type OutgoingMessage = { topic: string; key: string; value: Buffer }

export type IncomingMessage = {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
}

export type Producer = {
  /** Sends with acks=all from an idempotent producer; resolves once every message is durable on the broker. */
  send(messages: OutgoingMessage[]): Promise<void>
  close(): Promise<void>
}

export type Consumer = {
  /**
   * Consumes until close(). An offset is committed only after `handle` resolved for that message; if `handle`
   * throws, the message is not committed and will be delivered again (kafkajs restarts the consumer).
   */
  run(handle: (message: IncomingMessage) => Promise<void>): Promise<void>
  /** Stops fetching, waits for in-flight messages, commits and leaves the group. */
  close(): Promise<void>
}

export type Bus = {
  producer(): Promise<Producer>
  consumer(options: { group: string; topics: string[]; concurrency?: number }): Promise<Consumer>
  /** Creates missing topics; existing ones are left as they are. */
  ensureTopics(topics: { name: string; partitions: number }[]): Promise<void>
  /**
   * Reads a topic from its first offset without joining any group's offsets (a throw-away group, nothing
   * committed): up to the end offsets seen at the start, or on and on with `follow` until `stop()`.
   */
  readTopic(topic: string, options: { follow: boolean; onMessage: (message: IncomingMessage) => Promise<void> }): Promise<{ stop(): Promise<void>; done: Promise<void> }>
  /** Resolves when the cluster answers a metadata request. */
  ping(): Promise<void>
  close(): Promise<void>
}

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
}

export function connectKafka(options: { brokers: string[]; clientId: string; log: Logger }): Bus {
  const log = options.log.child({ component: 'kafka' })
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log: entry }: LogEntry) => {
      const { message, ...fields } = entry
      // A fresh broker answers "coordinator not available / loading" for its first seconds; kafkajs retries
      // them by itself, so they are not errors for an operator reading the log.
      const transient = /coordinator is (not available|loading)/i.test(String((fields as { error?: unknown }).error ?? '')) || /coordinator is loading/i.test(String((fields as { stack?: unknown }).stack ?? ''))
      log[transient ? 'debug' : levelNames[level] ?? 'info'](fields, message)
    },
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
  })
  const admin = kafka.admin()
  let adminConnected: Promise<void> | null = null
  const withAdmin = async () => { adminConnected ??= admin.connect(); await adminConnected; return admin }
  const closers: (() => Promise<void>)[] = []

  return {
    async producer() {
      const producer: KjsProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
      await producer.connect()
      closers.push(() => producer.disconnect())
      return {
        async send(messages) {
          const byTopic = new Map<string, { key: string; value: Buffer }[]>()
          for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { key: m.key, value: m.value }])
          if (byTopic.size === 0) return
          await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) })
        },
        close: () => producer.disconnect(),
      }
    },

    async consumer({ group, topics, concurrency = 1 }) {
      const consumer: KjsConsumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false, sessionTimeout: 45_000, heartbeatInterval: 3_000 })
      await consumer.connect()
      await consumer.subscribe({ topics, fromBeginning: true })
      let closed = false
      const close = async () => {
        if (closed) return
        closed = true
        // stop() waits for the messages being handled; disconnect() commits their offsets and leaves the group.
        await consumer.stop()
        await consumer.disconnect()
      }
      closers.push(close)
      return {
        async run(handle) {
          await consumer.run({
            autoCommit: true,
            partitionsConsumedConcurrently: concurrency,
            eachMessage: async ({ topic, partition, message }) => {
              await handle({ topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value })
            },
          })
        },
        close,
      }
    },

    async ensureTopics(wanted) {
      const a = await withAdmin()
      const existing = new Set(await a.listTopics())
      const missing = wanted.filter((t) => !existing.has(t.name))
      if (missing.length === 0) return
      await a.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1 })) })
    },

    async readTopic(topic, { follow, onMessage }) {
      const a = await withAdmin()
      const ends = new Map((await a.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]))
      const pending = new Set([...ends].filter(([, o]) => o.high > o.low).map(([p]) => p))
      const consumer = kafka.consumer({ groupId: `facteur-reader-${process.pid}-${Date.now()}`, allowAutoTopicCreation: false })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      let finish: () => void = () => {}
      const done = new Promise<void>((resolve) => { finish = resolve })
      let stopped = false
      const stop = async () => { if (stopped) return; stopped = true; await consumer.disconnect().catch(() => {}); finish() }
      if (!follow && pending.size === 0) { await stop(); return { stop, done } }
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (stopped) return
          await onMessage({ topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value })
          if (!follow && BigInt(message.offset) + 1n >= (ends.get(partition)?.high ?? 0n)) {
            pending.delete(partition)
            if (pending.size === 0) setImmediate(() => void stop())
          }
        },
      })
      return { stop, done }
    },

    async ping() {
      const a = await withAdmin()
      await a.describeCluster()
    },

    async close() {
      for (const c of closers.splice(0).reverse()) await c().catch(() => {})
      if (adminConnected) await admin.disconnect().catch(() => {})
    },
  }
}
