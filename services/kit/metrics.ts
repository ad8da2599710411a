// The process's Prometheus metrics (prom-client): one registry per process, so under `npm start`, where every
// service runs in one process, the gateway's GET /metrics shows every stage; a service run alone shows its own
// on its health port. Counters and histograms live in memory and start at zero with the process (Prometheus's
// rate() and histogram_quantile() expect that); what PostgreSQL holds (documents, outbox, jobs) stays in the
// gateway's gauges, read when scraped (services/gateway/metrics.ts). Labels are bounded: service, topic,
// outcome, never a document id. Only the kit imports prom-client (import-rules.test.ts).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Bus } from './kafka.js'
import { withinTime } from './health.js'

export const registry = new Registry()
// Node's own: CPU, heap, event loop lag (all six services share one loop under `npm start`), GC, handles.
collectDefaultMetrics({ register: registry })

const registers = [registry]

/** Consumer outcomes of one message: handled and its events produced, already in the inbox, parked, tried again. */
export type MessageOutcome = 'processed' | 'skipped-duplicate' | 'dead-lettered' | 'retried' | 'dropped'

export const consumerMessages = new Counter({
  name: 'facteur_consumer_messages_total', registers, labelNames: ['consumer', 'topic', 'outcome'] as const,
  help: 'Messages a consumer handled, by outcome: processed, skipped-duplicate (already in its inbox), dead-lettered, retried (one per failed attempt tried again), dropped (a dead letter that could not be recorded).',
})

export const consumerRunSeconds = new Histogram({
  name: 'facteur_consumer_run_seconds', registers, labelNames: ['consumer', 'topic'] as const,
  help: 'Time a consumer took over one run (the messages of one partition handled together: inbox check, handling, produce, inbox mark).',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
})

export const consumerRunMessages = new Histogram({
  name: 'facteur_consumer_run_messages', registers, labelNames: ['consumer', 'topic'] as const,
  help: 'Messages in one consumer run (at most FACTEUR_CONSUMER_BATCH).',
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
})

export const eventAgeSeconds = new Histogram({
  name: 'facteur_event_age_seconds', registers, labelNames: ['consumer', 'topic'] as const,
  help: 'Age of an event when its consumer starts on it: now minus the Kafka message timestamp (time waiting in the topic and in the run).',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
})

export const deposits = new Counter({
  name: 'facteur_deposits_total', registers, labelNames: ['outcome', 'status'] as const,
  help: 'Answers to POST /v1/documents: accepted (202, new document), replayed (202, same Idempotency-Key), refused (any other status).',
})

export const depositSeconds = new Histogram({
  name: 'facteur_deposit_seconds', registers, labelNames: ['outcome'] as const,
  help: 'Time from the request to the 202 answer of POST /v1/documents (accepted or replayed), body upload included.',
  buckets: [0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
})

export const validationSeconds = new Histogram({
  name: 'facteur_validation_seconds', registers, labelNames: ['verdict'] as const,
  help: 'Time one document spent in the validation pool (XML schema and rule packs, waiting for a worker included), by verdict.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
})

export const deliveryAttempts = new Counter({
  name: 'facteur_delivery_attempts_total', registers, labelNames: ['kind', 'outcome'] as const,
  help: 'Delivery attempts of this process\'s job runner, by kind (document, receipt) and outcome (delivered, retry-later, failed).',
})

export const deliveryAttemptSeconds = new Histogram({
  name: 'facteur_delivery_attempt_seconds', registers, labelNames: ['kind', 'outcome'] as const,
  help: 'Time of one delivery attempt (the recipient\'s answer or the channel\'s timeout).',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
})

export const acceptToDeliveredSeconds = new Histogram({
  name: 'facteur_accept_to_delivered_seconds', registers,
  help: 'Time from a document\'s acceptance by the gateway (202) to its delivery to the recipient, for documents this process delivered.',
  buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60, 300, 1800],
})

/** The seconds between a Kafka message timestamp (ms) and `now` (ms); 0 when the clocks disagree. */
export const ageSeconds = (timestampMs: number, nowMs: number) => Math.max(0, nowMs - timestampMs) / 1000

// Consumer lag is read from Kafka when scraped, for the groups consumed in this process (runConsumer registers
// each); a group runs in several processes when it has several instances, each shows the same group's lag.
const lagSources = new Map<string, { bus: Pick<Bus, 'lag'>; topics: string[] }>()

/** Adds `group` to the lag this process reports; returns the function that removes it (the consumer stopped). */
export function watchConsumerLag(bus: Pick<Bus, 'lag'>, group: string, topics: string[]): () => void {
  const source = { bus, topics }
  lagSources.set(group, source)
  return () => { if (lagSources.get(group) === source) lagSources.delete(group) }
}

new Gauge({
  name: 'facteur_consumer_lag', registers, labelNames: ['group', 'topic'] as const,
  help: 'Messages of a topic its consumer group has not committed yet (end offsets minus committed offsets, summed over the partitions), read from Kafka when scraped; absent while Kafka cannot tell (no answer within 2 s, a partition leader moving).',
  async collect() {
    const byBus = new Map<Pick<Bus, 'lag'>, { group: string; topics: string[] }[]>()
    for (const [group, { bus, topics }] of lagSources) byBus.set(bus, [...(byBus.get(bus) ?? []), { group, topics }])
    const lags = await Promise.all([...byBus].map(([bus, groups]) => withinTime(bus.lag(groups), 2_000, 'the consumer lag').catch(() => [])))
    this.reset()
    for (const { group, topic, lag } of lags.flat()) this.set({ group, topic }, lag)
  },
})
