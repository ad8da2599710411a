// The hub's only door to Kafka. kafkajs 2.2.4 is unmaintained (last release 2023-02-27), so nothing outside
// this file sees it: services use Bus/Producer/Consumer below, and a librdkafka-based client can replace
// kafkajs by re-implementing this file alone.
import kafkajs, { Kafka, logLevel, type Consumer as KjsConsumer, type IHeaders, type KafkaMessage, type LogEntry, type Producer as KjsProducer } from 'kafkajs'
import type { Logger } from './log.js'
import { FacteurError } from './errors.js'
import { MAX_DEAD_LETTER_BYTES, MAX_EVENT_BYTES } from '../../schemas/event-limits.js'

// From the default export: Node's ESM loader does not see ConfigResourceTypes among kafkajs's CommonJS named
// exports (its module.exports literal stops the static scan early), so a named import fails under `npm start`
// (tsx) although vitest's transform accepts it.
const { ConfigResourceTypes } = kafkajs

/**
 * `max.message.bytes` of every topic the hub creates. Kafka applies it to a whole record batch, not to one
 * record, so it is set well above the largest value the producer lets through (MAX_EVENT_BYTES, or
 * MAX_DEAD_LETTER_BYTES on a `.dlq` topic), and send() splits what it sends into batches under MAX_EVENT_BYTES.
 */
export const TOPIC_MAX_MESSAGE_BYTES = 2 * 1024 * 1024
/** Record and batch framing per message, over-estimated, on top of the key and value bytes. */
const RECORD_OVERHEAD = 128

const valueLimit = (topic: string) => (topic.endsWith('.dlq') ? MAX_DEAD_LETTER_BYTES : MAX_EVENT_BYTES)

const headerBytes = (headers: Record<string, string> | undefined) =>
  Object.entries(headers ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 8, 0)

/** The messages in order, cut into runs of at most `budget` bytes (a message bigger than the budget goes alone). */
export function chunkBySize<T extends { key: string; value: Buffer; headers?: Record<string, string> }>(messages: T[], budget: number): T[][] {
  const chunks: T[][] = []
  let current: T[] = []
  let size = 0
  for (const m of messages) {
    const bytes = m.value.length + Buffer.byteLength(m.key) + RECORD_OVERHEAD + headerBytes(m.headers)
    if (current.length > 0 && size + bytes > budget) { chunks.push(current); current = []; size = 0 }
    current.push(m)
    size += bytes
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/** kafkajs protocol error types along an error's cause chain. */
const protocolTypes = (error: unknown): string[] => {
  const types: string[] = []
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const type = (e as { type?: unknown }).type
    if (typeof type === 'string') types.push(type)
  }
  return types
}

// The idempotent producer's sequence state no longer matches the broker's (typically: the broker restarted and
// lost or truncated its producer state). Nothing is wrong with the records: a new producer (new producer id)
// sends them again. The records may already have landed, so consumers see a duplicate, which they ignore.
const PRODUCER_STATE_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'DUPLICATE_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_ID_MAPPING'])

// What the broker refuses for the records themselves: the same bytes are refused every time.
const RECORD_REFUSED = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP'])

/** True when sending failed because of the records themselves (too large, invalid), not the connection or state. */
export function isRecordRefused(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof FacteurError && e.code === 'EVENT_TOO_LARGE') return true
  }
  return protocolTypes(error).some((t) => RECORD_REFUSED.has(t))
}

/** Repeats of one kafkajs log line within this window are counted, not written (a broker outage logs per retry). */
const LOG_REPEAT_WINDOW_MS = 10_000

/** `headers`: string values only (the hub sends `traceparent`, kit/trace.ts). */
export type OutgoingMessage = { topic: string; key: string; value: Buffer; headers?: Record<string, string> }

export type IncomingMessage = {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
  /** the message's Kafka timestamp, in ms since the epoch (the producer's send time: CreateTime) */
  timestamp: number
  /** the message's headers as UTF-8 text (the first value of a repeated header) */
  headers: Record<string, string>
}

/** Kafka headers as text: the first value of a repeated header, undefined ones left out. */
export function headerText(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {}
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[0] : raw
    if (value !== undefined) text[name] = value.toString('utf8')
  }
  return text
}

const incoming = (topic: string, partition: number, message: KafkaMessage): IncomingMessage => ({
  topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value,
  timestamp: Number(message.timestamp), headers: headerText(message.headers),
})

/**
 * A group's lag on one topic: per partition, the end offset minus the committed offset (or minus the first
 * offset kept when nothing is committed yet, or when the committed one was deleted by retention), summed.
 */
export function topicLag(committed: { partition: number; offset: string }[], ends: { partition: number; low: string; high: string }[]): number {
  const at = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]))
  let lag = 0n
  for (const end of ends) {
    const low = BigInt(end.low)
    const position = at.get(end.partition) ?? -1n
    const from = position < low ? low : position
    if (BigInt(end.high) > from) lag += BigInt(end.high) - from
  }
  return Number(lag)
}

export type Producer = {
  /**
   * Sends with acks=all from an idempotent producer, in order; resolves once every message is durable on the
   * broker. A value over the hub's event size limit is refused before anything is sent (EVENT_TOO_LARGE).
   */
  send(messages: OutgoingMessage[]): Promise<void>
  close(): Promise<void>
}

export type Consumer = {
  /**
   * Consumes until close(). An offset is committed only after `handle` resolved for that message; if `handle`
   * throws, the message is not committed and will be delivered again (kafkajs restarts the consumer).
   */
  run(handle: (message: IncomingMessage, control: { heartbeat(): Promise<void> }) => Promise<void>): Promise<void>
  /**
   * Consumes until close(), handing `handle` the messages of one partition a run at a time (at most
   * `maxMessages`, in offset order). The run's offsets are committed once `handle` resolved; if it throws, the
   * run is delivered again from its first message (kafkajs restarts the consumer). Runs of different
   * partitions are handled at the same time, up to the consumer's `concurrency`.
   */
  runBatches(maxMessages: number, handle: (messages: IncomingMessage[], control: { heartbeat(): Promise<void> }) => Promise<void>): Promise<void>
  /** Stops fetching, waits for in-flight messages, commits and leaves the group. */
  close(): Promise<void>
  /** Why the consumer stopped for good (a crash kafkajs does not restart), or null while it runs. */
  failure(): string | null
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
  /** Each group's lag on each of its topics (topicLag), read from the cluster now (a group it cannot read now is left out); for GET /metrics. */
  lag(groups: { group: string; topics: string[] }[]): Promise<{ group: string; topic: string; lag: number }[]>
  /** Resolves when the cluster answers a metadata request. */
  ping(): Promise<void>
  close(): Promise<void>
}

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
}

export function connectKafka(options: { brokers: string[]; clientId: string; log: Logger }): Bus {
  const log = options.log.child({ component: 'kafka' })
  const repeats = new Map<string, { since: number; count: number }>()
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log: entry }: LogEntry) => {
      const { message, ...fields } = entry
      // A fresh broker answers "coordinator not available / loading" for its first seconds; kafkajs retries
      // them by itself, so they are not errors for an operator reading the log.
      const transient = /coordinator is (not available|loading)/i.test(String((fields as { error?: unknown }).error ?? '')) || /coordinator is loading/i.test(String((fields as { stack?: unknown }).stack ?? ''))
      if (transient) return log.debug(fields, message)
      // While the broker is away kafkajs logs every connection retry of every client as an error (1 200 lines in a
      // 3-minute outage): a warning, once per line per 10 s, with the count of the ones left out.
      const unreachable = /Connection (error|timeout)|Failed to connect|Restarting the consumer|Crash: KafkaJS(NumberOfRetriesExceeded|Connection)/i.test(`${message} ${String((fields as { error?: unknown }).error ?? '')}`)
      if (!unreachable) return log[levelNames[level] ?? 'info'](fields, message)
      const now = Date.now()
      const seen = repeats.get(message)
      if (seen && now - seen.since < LOG_REPEAT_WINDOW_MS) { seen.count++; return }
      repeats.set(message, { since: now, count: 0 })
      log.warn({ ...fields, ...(seen?.count ? { repeatedSinceLast: seen.count } : {}) }, message)
    },
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
  })
  const admin = kafka.admin()
  let adminConnected: Promise<void> | null = null
  const withAdmin = async () => { adminConnected ??= admin.connect(); await adminConnected; return admin }
  const closers: (() => Promise<void>)[] = []

  return {
    async producer() {
      const create = async () => {
        const p: KjsProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
        await p.connect()
        return p
      }
      let producer = await create()
      closers.push(() => producer.disconnect())
      const sendBatch = async (batch: Parameters<KjsProducer['sendBatch']>[0]) => {
        try {
          await producer.sendBatch(batch)
        } catch (error) {
          if (!protocolTypes(error).some((t) => PRODUCER_STATE_LOST.has(t))) throw error
          log.warn({ err: error }, 'the broker lost this producer\'s sequence state (restarted?); starting a new producer')
          const old = producer
          producer = await create().catch((cause) => { throw new FacteurError('INFRA_UNAVAILABLE', 'cannot start a new Kafka producer', { cause }) })
          await old.disconnect().catch(() => {})
          // Infrastructure, so the caller sends the same records again: nothing is set aside or dead-lettered.
          throw new FacteurError('INFRA_UNAVAILABLE', 'the Kafka producer was replaced after losing its sequence state; send again', { cause: error })
        }
      }
      // One chunk after the other: order holds (idempotent producer, one request in flight), and no record batch
      // the broker sees can pass the topics' max.message.bytes.
      const sendAll = async (messages: OutgoingMessage[]) => {
        for (const chunk of chunkBySize(messages, MAX_EVENT_BYTES)) {
          const byTopic = new Map<string, { key: string; value: Buffer; headers?: Record<string, string> }[]>()
          for (const m of chunk) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}) }])
          await sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) })
        }
      }
      // Callers sending while a request is in flight wait together and go out in the next request: one acks=all
      // round trip serves every consumer run and relay round that produced meanwhile, with no added delay when
      // the producer is idle.
      type Waiting = { messages: OutgoingMessage[]; resolve(): void; reject(error: unknown): void }
      let waiting: Waiting[] = []
      let flushing = false
      const flush = async () => {
        flushing = true
        while (waiting.length > 0) {
          const group = waiting
          waiting = []
          try {
            await sendAll(group.flatMap((w) => w.messages))
            for (const w of group) w.resolve()
          } catch (error) {
            // A record refused for itself fails only its own caller: the others go again, each alone.
            if (group.length === 1 || !isRecordRefused(error)) { for (const w of group) w.reject(error); continue }
            for (const w of group) await sendAll(w.messages).then(w.resolve, w.reject)
          }
        }
        flushing = false
      }
      return {
        async send(messages) {
          for (const m of messages) {
            if (m.value.length > valueLimit(m.topic)) {
              throw new FacteurError('EVENT_TOO_LARGE', `a ${m.value.length}-byte value for ${m.topic} (key ${m.key}) is over the ${valueLimit(m.topic)}-byte limit of the hub's events`)
            }
          }
          if (messages.length === 0) return
          await new Promise<void>((resolve, reject) => {
            waiting.push({ messages, resolve, reject })
            if (!flushing) void flush()
          })
        },
        close: () => producer.disconnect(),
      }
    },

    async consumer({ group, topics, concurrency = 1 }) {
      // maxBytesPerPartition above the topics' max.message.bytes: the largest batch is always fetched whole.
      // sessionTimeout: after a kill -9 the group waits that long for the dead members before it hands their
      // partitions to the restarted ones (kafkajs has no static membership), so it is what a restart costs: 45 s
      // made `npm start` after a crash take a minute. Handlers heartbeat while they work (run-service.ts), so
      // a long message does not need a long session.
      const consumer: KjsConsumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false, sessionTimeout: 20_000, heartbeatInterval: 3_000, maxBytesPerPartition: TOPIC_MAX_MESSAGE_BYTES + 1024 * 1024 })
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
      // kafkajs restarts a consumer after a retriable crash (broker away: seen 65 times in a 3-minute outage, each
      // time coming back by itself); after any other crash it stays stopped. That must not go unnoticed: the
      // service reports it in /readyz, so an operator or supervisor restarts the process.
      let failure: string | null = null
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (closed) return
        if (payload.restart) return
        failure = `the consumer of group ${group} stopped after an error kafkajs does not retry: ${payload.error.message}; restart the service`
        log.error({ err: payload.error, group }, 'Kafka consumer stopped for good')
      })
      return {
        failure: () => failure,
        async run(handle) {
          await consumer.run({
            autoCommit: true,
            partitionsConsumedConcurrently: concurrency,
            eachMessage: async ({ topic, partition, message, heartbeat }) => {
              await handle(incoming(topic, partition, message), { heartbeat })
            },
          })
        },
        async runBatches(maxMessages, handle) {
          await consumer.run({
            autoCommit: true,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: concurrency,
            eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
              const { topic, partition } = batch
              const messages = batch.messages.map((m) => incoming(topic, partition, m))
              for (let start = 0; start < messages.length; start += maxMessages) {
                // Stopping, or the partition was handed to another member in a rebalance: leave the rest to it.
                if (!isRunning() || isStale()) return
                const run = messages.slice(start, start + maxMessages)
                await handle(run, { heartbeat })
                resolveOffset(run[run.length - 1]!.offset)
                await commitOffsetsIfNecessary()
              }
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
      const sizeConfig = { name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }
      if (missing.length > 0) {
        await a.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1, configEntries: [sizeConfig] })) })
      }
      // Topics created by an earlier version (or by hand) get the size limit too; only those that lack it are altered.
      const present = wanted.filter((t) => existing.has(t.name))
      if (present.length === 0) return
      const described = await a.describeConfigs({ includeSynonyms: false, resources: present.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name, configNames: [sizeConfig.name] })) })
      const stale = described.resources.filter((r) => r.configEntries.find((c) => c.configName === sizeConfig.name)?.configValue !== sizeConfig.value)
      if (stale.length > 0) await a.alterConfigs({ validateOnly: false, resources: stale.map((r) => ({ type: ConfigResourceTypes.TOPIC, name: r.resourceName, configEntries: [sizeConfig] })) })
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
          await onMessage(incoming(topic, partition, message))
          if (!follow && BigInt(message.offset) + 1n >= (ends.get(partition)?.high ?? 0n)) {
            pending.delete(partition)
            if (pending.size === 0) setImmediate(() => void stop())
          }
        },
      })
      return { stop, done }
    },

    async lag(groups) {
      const a = await withAdmin()
      // Each topic's end offsets once, however many groups read it.
      const ends = new Map<string, Promise<{ partition: number; low: string; high: string }[]>>()
      const endsOf = (topic: string) => { if (!ends.has(topic)) ends.set(topic, a.fetchTopicOffsets(topic)); return ends.get(topic)! }
      // A group whose offsets cannot be read now (a topic created a moment ago answers NOT_LEADER until its leader
      // is known everywhere) is left out of this answer, not the others.
      const perGroup = await Promise.all(groups.map(async ({ group, topics }) => {
        const committed = await a.fetchOffsets({ groupId: group, topics })
        return Promise.all(committed.map(async ({ topic, partitions }) => ({ group, topic, lag: topicLag(partitions, await endsOf(topic)) })))
      }).map((p) => p.catch(() => [])))
      return perGroup.flat()
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
