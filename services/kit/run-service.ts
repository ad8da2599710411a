// runConsumer(): the one loop every consuming service uses, in a fixed order:
//   decode → skip if already processed (inbox) → handle → produce the results (acks=all) → record in inbox → commit.
// At-least-once with idempotent consumers: a crash anywhere before the commit redelivers the message, and the
// inbox (plus deterministic event ids downstream) makes the redelivery change nothing.
// A message that keeps failing for a reason of its own goes to `<topic>.dlq` with the error; an outage of
// PostgreSQL or Kafka is not the message's fault, so it is retried without ever being dead-lettered.
import { setTimeout as sleep } from 'node:timers/promises'
import { topics, topicName, dlqName, type TopicKey, type TopicSpec } from '../../schemas/topics.js'
import type { DeadLetter, EventOf } from '../../schemas/events.js'
import type { Deps } from './deps.js'
import type { IncomingMessage } from './kafka.js'
import type { Logger } from './log.js'
import { FacteurError } from './errors.js'

/** An event a handler wants produced; the message key is the document id (per-document order). */
export type Emit = { [K in TopicKey]: { topic: K; value: EventOf[K] } }[TopicKey]

export const emit = <K extends TopicKey>(topic: K, value: EventOf[K]): Emit => ({ topic, value }) as Emit

export type HandlerContext = {
  log: Logger
  topic: TopicKey
  /** Also parks the message being handled in `<topic>.dlq` with `reason` (for a replay once the cause is fixed). */
  deadLetter: (reason: string) => Promise<void>
}

export type ConsumerSpec<K extends TopicKey> = {
  /** the service name: consumer group `<prefix>.<name>` and inbox owner */
  name: string
  consumes: readonly K[]
  handle: (event: EventOf[K], ctx: HandlerContext) => Promise<Emit[]>
  /** also consume the dead-letter topics of these topics (the status service records them) */
  deadLetters?: { of: readonly TopicKey[]; handle: (letter: DeadLetter, ctx: { log: Logger }) => Promise<Emit[]> }
}

export type Running = { name: string; ready(): Promise<string | null>; stop(): Promise<void> }

// Node/libuv network errors, PostgreSQL's "server going away / cannot connect" classes (57P0x, 08xxx), and its
// transient conflicts (40001 serialization failure, 40P01 deadlock, 53300 too many connections): none is the
// message's fault, and each clears by itself.
const INFRA_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '40001', '40P01', '53300',
])

// kafkajs errors that mean the cluster cannot be reached or is electing/loading, not that the request is wrong.
// Every other kafkajs error (MESSAGE_TOO_LARGE, INVALID_RECORD, CORRUPT_MESSAGE, …) would fail again the same way:
// retrying it forever would stall its partition, so it counts against the message like any other failure.
const KAFKA_UNAVAILABLE = new Set([
  'KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded', 'KafkaJSTopicMetadataNotLoaded', 'KafkaJSGroupCoordinatorNotFound', 'KafkaJSLockTimeout',
])

/** True when the failure is an unavailable PostgreSQL, Kafka or registry rather than the message itself. */
export function isInfraError(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof FacteurError) {
      if (e.code === 'INFRA_UNAVAILABLE') return true
      if (e.code === 'EVENT_TOO_LARGE') return false
    }
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && INFRA_CODES.has(code)) return true
    const name = (e as { name?: unknown }).name
    if (typeof name === 'string' && KAFKA_UNAVAILABLE.has(name)) return true
    // A broker-side error kafkajs marks retriable (leader election, NOT_ENOUGH_REPLICAS, coordinator loading, …).
    if (name === 'KafkaJSProtocolError' && (e as { retriable?: unknown }).retriable === true) return true
    if (/Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(String((e as Error).message))) return true
  }
  return false
}

/** Delay before attempt n+1 (n ≥ 1): 200 ms doubling, capped at 5 s. */
export const retryDelay = (attempt: number) => Math.min(200 * 2 ** (attempt - 1), 5_000)

export async function runConsumer<K extends TopicKey>(deps: Deps, spec: ConsumerSpec<K>): Promise<Running> {
  const { config, db, codec, producer } = deps
  const log = deps.log.child({ service: spec.name })
  const runtime = (key: TopicKey) => topicName(config.topicPrefix, topics[key])
  const keyByRuntime = new Map<string, TopicKey>(spec.consumes.map((k) => [runtime(k), k]))
  const dlqByRuntime = new Map<string, TopicKey>((spec.deadLetters?.of ?? []).map((k) => [dlqName(config.topicPrefix, topics[k]), k]))
  const group = `${config.topicPrefix}.${spec.name}`
  const consumer = await deps.bus.consumer({ group, topics: [...keyByRuntime.keys(), ...dlqByRuntime.keys()], concurrency: config.topicPartitions })
  let lastError: string | null = null

  const alreadyProcessed = async (eventId: string) =>
    (await db.query('SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2', [spec.name, eventId])).rowCount === 1
  const markProcessed = (eventId: string) =>
    db.query('INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [spec.name, eventId])

  const produce = async (emits: Emit[]) => {
    await producer.send(emits.map((e) => {
      const topic = runtime(e.topic)
      return { topic, key: e.value.documentId, value: codec.encode(topic, e.value) }
    }))
  }

  const processOnce = async (message: IncomingMessage) => {
    if (!message.value) throw new Error('empty message value (tombstone)')
    const deadLetterOf = dlqByRuntime.get(message.topic)
    if (deadLetterOf && spec.deadLetters) {
      const letter = (await codec.decode(message.topic, message.value)) as DeadLetter
      const eventId = `dlq:${message.topic}:${message.partition}:${message.offset}`
      if (await alreadyProcessed(eventId)) return
      await produce(await spec.deadLetters.handle(letter, { log: log.child({ documentId: letter.documentId }) }))
      await markProcessed(eventId)
      return
    }
    const key = keyByRuntime.get(message.topic)
    if (!key) throw new Error(`message from unexpected topic ${message.topic}`)
    const event = (await codec.decode(message.topic, message.value)) as EventOf[K] & { eventId: string; documentId: string }
    if (await alreadyProcessed(event.eventId)) {
      log.debug({ documentId: event.documentId, eventId: event.eventId }, 'already processed; skipped')
      return
    }
    const emits = await spec.handle(event, {
      log: log.child({ documentId: event.documentId }), topic: key as TopicKey,
      deadLetter: (reason) => deadLetter(message, new Error(reason), 1),
    })
    await produce(emits)
    await markProcessed(event.eventId)
  }

  const deadLetter = async (message: IncomingMessage, error: unknown, attempts: number) => {
    const spec_ = topics[keyByRuntime.get(message.topic) ?? 'received'] as TopicSpec
    const dlq = dlqName(config.topicPrefix, spec_)
    const letter: DeadLetter = {
      documentId: message.key, topic: message.topic, partition: message.partition, offset: message.offset, consumer: spec.name,
      error: String((error as Error)?.stack ?? error).slice(0, 4_000), attempts, value: message.value ?? Buffer.alloc(0), failedAt: Date.now(),
    }
    await producer.send([{ topic: dlq, key: message.key ?? '', value: codec.encode(dlq, letter) }])
    log.error({ documentId: message.key, topic: message.topic, offset: message.offset, dlq, err: error }, 'message dead-lettered after retries')
  }

  const handleWithRetries = async (message: IncomingMessage) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await processOnce(message)
        lastError = null
        return
      } catch (error) {
        lastError = String((error as Error).message ?? error)
        if (isInfraError(error)) {
          // Not the message's fault: wait and try again, forever, without committing (never dead-lettered).
          log.warn({ documentId: message.key, topic: message.topic, err: error, attempt }, 'infrastructure unavailable; will retry')
          await sleep(retryDelay(Math.min(attempt, 6)))
          continue
        }
        if (attempt >= config.consumerAttempts || message.topic.endsWith('.dlq')) {
          // A dead letter that cannot be handled is not dead-lettered again: logged, and skipped.
          if (!message.topic.endsWith('.dlq')) await deadLetter(message, error, attempt)
          else log.error({ topic: message.topic, offset: message.offset, err: error }, 'dead letter could not be recorded')
          return
        }
        log.warn({ documentId: message.key, topic: message.topic, err: error, attempt }, 'processing failed; retrying')
        await sleep(retryDelay(attempt))
      }
    }
  }

  await consumer.run(async (message, { heartbeat }) => {
    // A message may take longer than the group's session timeout (a 10 MB invoice through every rule pack, a
    // validation job re-run alone after its batch timed out, PostgreSQL down and retried): heartbeat all along,
    // so the member is not evicted, its partitions are not handed to another instance mid-work, and no
    // rebalance storm follows. kafkajs sends at most one heartbeat per heartbeatInterval.
    const beat = setInterval(() => { heartbeat().catch(() => {}) }, 3_000)
    try { await handleWithRetries(message) } finally { clearInterval(beat) }
  })

  log.info({ group, topics: [...keyByRuntime.keys(), ...dlqByRuntime.keys()] }, 'consuming')

  return {
    name: spec.name,
    async ready() { return consumer.failure() ?? (lastError ? `last message failed: ${lastError}` : null) },
    async stop() { await consumer.close() },
  }
}

/** Several consumers of one service seen as one: ready when all are, stopped in order. */
export function combined(name: string, running: Running[]): Running {
  return {
    name,
    async ready() { for (const r of running) { const failure = await r.ready(); if (failure) return failure } return null },
    async stop() { for (const r of running) await r.stop() },
  }
}
