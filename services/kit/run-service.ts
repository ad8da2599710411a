// runConsumer(): the one loop every consuming service uses, a run of messages of one partition at a time:
//   decode → skip those already processed (inbox, one query) → handle → produce the results (one acks=all send
//   for the run) → record in the inbox (one statement) → commit the run's offsets.
// At-least-once with idempotent consumers: a crash anywhere before the commit redelivers the message, and the
// inbox (plus deterministic event ids downstream) makes the redelivery change nothing.
// A message that keeps failing for a reason of its own goes to `<topic>.dlq` with the error; an outage of
// PostgreSQL or Kafka is not the message's fault, so it is retried without ever being dead-lettered.
// Instrumented here once for every service: messages by outcome, run time and size, event age, consumer lag
// (kit/metrics.ts); and the trace context (kit/trace.ts): each message is handled in a span under the
// `traceparent` it carries, named in its log lines (`traceId`) and passed on in the events it produces.
import { setTimeout as sleep } from 'node:timers/promises'
import { topics, topicName, dlqName, type TopicKey, type TopicSpec } from '../../schemas/topics.js'
import type { DeadLetter, EventOf } from '../../schemas/events.js'
import type { Deps } from './deps.js'
import type { IncomingMessage } from './kafka.js'
import type { Logger } from './log.js'
import { FacteurError } from './errors.js'
import { ageSeconds, consumerMessages, consumerRunMessages, consumerRunSeconds, eventAgeSeconds, watchConsumerLag, type MessageOutcome } from './metrics.js'
import { childSpan, formatTraceparent, parseTraceparent, traceFields, TRACEPARENT, type TraceContext } from './trace.js'

/**
 * An event a handler wants produced; the message key is the document id (per-document order). `headers` are
 * Kafka headers; runConsumer adds the `traceparent` of the handling span.
 */
export type Emit = { [K in TopicKey]: { topic: K; value: EventOf[K]; headers?: Record<string, string> } }[TopicKey]

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
  /**
   * Optional: a run's events (one partition's, in offset order, none processed yet) handled at once, e.g. in
   * one transaction. It must be all or nothing, like `handle` idempotent: when it throws for any reason that
   * is not an outage, the run is handled again one event at a time with `handle`, which retries and
   * dead-letters the event at fault.
   */
  handleRun?: (events: { event: EventOf[K]; topic: TopicKey; /** the event's own logger: its documentId and trace */ log: Logger }[], ctx: { log: Logger }) => Promise<Emit[]>
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
  const subscribed = [...keyByRuntime.keys(), ...dlqByRuntime.keys()]
  // Every partition this member may be given is worked on at once (the in-flight work is a run of up to
  // consumerBatch messages per partition, not one message per partition).
  const consumer = await deps.bus.consumer({ group, topics: subscribed, concurrency: subscribed.length * config.topicPartitions })
  let lastError: string | null = null
  const count = (message: IncomingMessage, outcome: MessageOutcome, n = 1) => consumerMessages.inc({ consumer: spec.name, topic: message.topic, outcome }, n)

  const produce = async (emits: Emit[]) => {
    await producer.send(emits.map((e) => {
      const topic = runtime(e.topic)
      return { topic, key: e.value.documentId, value: codec.encode(topic, e.value), ...(e.headers ? { headers: e.headers } : {}) }
    }))
  }

  /** Runs `work` until it succeeds or fails for a reason that is not an outage (that reason is thrown). */
  const whileInfraDown = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await work()
        return result
      } catch (error) {
        if (!isInfraError(error)) throw error
        lastError = String((error as Error).message ?? error)
        // Not the message's fault: wait and try again, forever, without committing (never dead-lettered).
        log.warn({ err: error, attempt, step: what }, 'infrastructure unavailable; will retry')
        await sleep(retryDelay(Math.min(attempt, 6)))
      }
    }
  }

  /** A message of the run, decoded, with its inbox id and the span it is handled in (none without a traceparent). */
  type Decoded = { message: IncomingMessage; eventId: string; documentId: string | null; trace: TraceContext | null; handle: () => Promise<Emit[]>; event?: { event: EventOf[K]; topic: TopicKey; log: Logger } }

  /** The events of a handling, each with the handling span as its `traceparent` (same trace, parent: the consumed). */
  const traced = (emits: Emit[], trace: TraceContext | null): Emit[] =>
    (trace ? emits.map((e) => ({ ...e, headers: { ...e.headers, [TRACEPARENT]: formatTraceparent(trace) } }) as Emit) : emits)

  const decode = async (message: IncomingMessage): Promise<Decoded> => {
    if (!message.value) throw new Error('empty message value (tombstone)')
    const parent = parseTraceparent(message.headers[TRACEPARENT])
    const trace = parent ? childSpan(parent) : null
    const deadLetterOf = dlqByRuntime.get(message.topic)
    if (deadLetterOf && spec.deadLetters) {
      const letter = (await codec.decode(message.topic, message.value)) as DeadLetter
      const handle = spec.deadLetters.handle
      return { message, eventId: `dlq:${message.topic}:${message.partition}:${message.offset}`, documentId: letter.documentId, trace, handle: () => handle(letter, { log: log.child({ documentId: letter.documentId, ...traceFields(trace) }) }) }
    }
    const key = keyByRuntime.get(message.topic)
    if (!key) throw new Error(`message from unexpected topic ${message.topic}`)
    const event = (await codec.decode(message.topic, message.value)) as EventOf[K] & { eventId: string; documentId: string }
    const eventLog = log.child({ documentId: event.documentId, ...traceFields(trace) })
    return {
      message, eventId: event.eventId, documentId: event.documentId, trace, event: { event, topic: key as TopicKey, log: eventLog },
      handle: () => spec.handle(event, {
        log: eventLog, topic: key as TopicKey,
        deadLetter: (reason) => deadLetter(message, new Error(reason), 1),
      }),
    }
  }

  const deadLetter = async (message: IncomingMessage, error: unknown, attempts: number) => {
    const spec_ = topics[keyByRuntime.get(message.topic) ?? 'received'] as TopicSpec
    const dlq = dlqName(config.topicPrefix, spec_)
    const letter: DeadLetter = {
      documentId: message.key, topic: message.topic, partition: message.partition, offset: message.offset, consumer: spec.name,
      error: String((error as Error)?.stack ?? error).slice(0, 4_000), attempts, value: message.value ?? Buffer.alloc(0), failedAt: Date.now(),
    }
    // The dead letter keeps the failed message's trace: its replay continues the document's trace.
    const traceparent = message.headers[TRACEPARENT]
    await producer.send([{ topic: dlq, key: message.key ?? '', value: codec.encode(dlq, letter), ...(traceparent ? { headers: { [TRACEPARENT]: traceparent } } : {}) }])
    log.error({ documentId: message.key, topic: message.topic, offset: message.offset, dlq, err: error }, 'message dead-lettered after retries')
  }

  /**
   * One message's turn: decoded (unless the run decoded it), handled, its events produced. An outage is
   * retried forever; any other failure counts against the message, which is dead-lettered after
   * consumerAttempts. Resolves with the events still to produce (none when `produceNow`) or null when the
   * message was dead-lettered or skipped.
   */
  const handleOne = async (message: IncomingMessage, decoded: Decoded | null, produceNow: boolean): Promise<{ eventId: string; emits: Emit[] } | null> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const d = decoded ?? await decode(message)
        decoded = d
        const emits = traced(await d.handle(), d.trace)
        if (produceNow) await produce(emits)
        return { eventId: d.eventId, emits: produceNow ? [] : emits }
      } catch (error) {
        lastError = String((error as Error).message ?? error)
        if (isInfraError(error)) {
          log.warn({ documentId: message.key, topic: message.topic, err: error, attempt }, 'infrastructure unavailable; will retry')
          count(message, 'retried')
          await sleep(retryDelay(Math.min(attempt, 6)))
          continue
        }
        if (attempt >= config.consumerAttempts || message.topic.endsWith('.dlq')) {
          // A dead letter that cannot be handled is not dead-lettered again: logged, and skipped.
          if (!message.topic.endsWith('.dlq')) await whileInfraDown('dead-letter', () => deadLetter(message, error, attempt))
          else log.error({ topic: message.topic, offset: message.offset, err: error }, 'dead letter could not be recorded')
          count(message, message.topic.endsWith('.dlq') ? 'dropped' : 'dead-lettered')
          return null
        }
        log.warn({ documentId: message.key, topic: message.topic, err: error, attempt }, 'processing failed; retrying')
        count(message, 'retried')
        await sleep(retryDelay(attempt))
      }
    }
  }

  /**
   * A run of messages from one partition: decoded, checked against the inbox in one query, handled (messages of
   * different documents at the same time, those of one document in offset order), their events produced in one
   * send, marked processed in one statement; the caller then commits the run's offsets. A crash anywhere
   * before the commit redelivers the run, and the inbox makes the redelivery change nothing.
   */
  const processRun = async (messages: IncomingMessage[]) => {
    const now = Date.now()
    for (const m of messages) eventAgeSeconds.observe({ consumer: spec.name, topic: m.topic }, ageSeconds(m.timestamp, now))
    const decoded = await Promise.all(messages.map((m) => decode(m).catch((error) => {
      if (isInfraError(error)) throw error
      return null // this message's own problem: handleOne retries and, if need be, dead-letters it
    })))
    const ids = decoded.flatMap((d) => (d ? [d.eventId] : []))
    const done = ids.length === 0 ? new Set<string>() : await whileInfraDown('inbox check', async () => new Set(
      (await db.query<{ event_id: string }>('SELECT event_id FROM processed_events WHERE consumer = $1 AND event_id = ANY($2::text[])', [spec.name, ids])).rows.map((r) => r.event_id)))
    // In offset order per document (the message key), documents side by side.
    const byKey = new Map<string, { message: IncomingMessage; decoded: Decoded | null }[]>()
    messages.forEach((message, i) => {
      const d = decoded[i] ?? null
      if (d && done.has(d.eventId)) { log.debug({ documentId: d.documentId, eventId: d.eventId }, 'already processed; skipped'); count(message, 'skipped-duplicate'); return }
      const key = message.key ?? `${message.partition}:${message.offset}`
      byKey.set(key, [...(byKey.get(key) ?? []), { message, decoded: d }])
    })
    const handled: { message: IncomingMessage; eventId: string; emits: Emit[] }[] = []
    const todo = [...byKey.values()].flat().sort((a, b) => Number(BigInt(a.message.offset) - BigInt(b.message.offset)))
    const events = todo.flatMap((t) => (t.decoded?.event ? [t.decoded.event] : []))
    if (spec.handleRun && todo.length > 1 && events.length === todo.length) {
      const emits = await whileInfraDown('run', () => spec.handleRun!(events, { log })).catch((error) => {
        log.warn({ err: error, messages: todo.length, topic: todo[0]!.message.topic }, 'handling the run at once failed; handling its messages one by one')
        return null
      })
      if (emits) {
        // Each event produced goes with the span of its document's message (the last one of the run, if several).
        const traceOf = new Map(todo.map((t) => [t.decoded!.documentId, t.decoded!.trace]))
        const tracedEmits = emits.flatMap((e) => traced([e], traceOf.get(e.value.documentId) ?? null))
        // The run's events go out with its first message; every message of the run is marked processed.
        todo.forEach((t, i) => handled.push({ message: t.message, eventId: t.decoded!.eventId, emits: i === 0 ? tracedEmits : [] }))
        byKey.clear()
      }
    }
    await Promise.all([...byKey.values()].map(async (queue) => {
      // A document with several messages in the run: each one's events go out before the next is handled.
      const alone = queue.length > 1
      for (const { message, decoded: d } of queue) {
        const outcome = await handleOne(message, d, alone)
        if (outcome) handled.push({ message, ...outcome })
      }
    }))
    if (handled.length === 0) return
    // In the run's offset order, one send; a record refused for itself (too large, …) fails only its message.
    handled.sort((a, b) => Number(BigInt(a.message.offset) - BigInt(b.message.offset)))
    let refused = 0
    try {
      await whileInfraDown('produce', () => produce(handled.flatMap((h) => h.emits)))
    } catch {
      for (const h of handled) {
        try { await whileInfraDown('produce', () => produce(h.emits)) } catch (error) {
          lastError = String((error as Error).message ?? error)
          await whileInfraDown('dead-letter', () => deadLetter(h.message, error, 1))
          count(h.message, 'dead-lettered')
          refused++
        }
      }
    }
    await whileInfraDown('inbox mark', () => db.query(
      'INSERT INTO processed_events (consumer, event_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [spec.name, handled.map((h) => h.eventId)]))
    if (handled.length > refused) count(handled[0]!.message, 'processed', handled.length - refused)
    lastError = null
  }

  await consumer.runBatches(config.consumerBatch, async (messages, { heartbeat }) => {
    // A run may take longer than the group's session timeout (a 10 MB invoice through every rule pack, a
    // validation job re-run alone after its batch timed out, PostgreSQL down and retried): heartbeat all along,
    // so the member is not evicted, its partitions are not handed to another instance mid-work, and no
    // rebalance storm follows. kafkajs sends at most one heartbeat per heartbeatInterval.
    const beat = setInterval(() => { heartbeat().catch(() => {}) }, 3_000)
    const labels = { consumer: spec.name, topic: messages[0]?.topic ?? '' }
    consumerRunMessages.observe(labels, messages.length)
    const timer = consumerRunSeconds.startTimer(labels)
    try { await processRun(messages) } finally { clearInterval(beat); timer() }
  })

  const unwatchLag = watchConsumerLag(deps.bus, group, subscribed)
  log.info({ group, topics: subscribed, batch: config.consumerBatch }, 'consuming')

  return {
    name: spec.name,
    async ready() { return consumer.failure() ?? (lastError ? `last message failed: ${lastError}` : null) },
    async stop() { unwatchLag(); await consumer.close() },
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
