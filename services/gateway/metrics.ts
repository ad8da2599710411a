// GET /metrics (Prometheus text exposition format 0.0.4) and the outbox backlog of GET /readyz. Every value is
// read when scraped from PostgreSQL or the process (no counters kept in memory that a restart would lose),
// with queries that stay cheap: the outbox counts use its partial index of pending rows.
import type { Db } from '../kit/db.js'
import { statuses } from '../../schemas/lifecycle.js'
import { topics, topicName } from '../../schemas/topics.js'

export type Sample = { labels?: Record<string, string>; value: number }
export type Metric = { name: string; help: string; type: 'gauge' | 'counter'; samples: Sample[] }

// Label values escape backslash, double quote and line feed; HELP text escapes backslash and line feed (0.0.4).
const labelValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const helpText = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
const number = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v))

/** The Prometheus text format 0.0.4 of `metrics`: HELP and TYPE once per family, then its samples. */
export function renderPrometheus(metrics: Metric[]): string {
  const lines: string[] = []
  for (const m of metrics) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(m.name)) throw new Error(`invalid metric name ${JSON.stringify(m.name)}`)
    lines.push(`# HELP ${m.name} ${helpText(m.help)}`, `# TYPE ${m.name} ${m.type}`)
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {})
      lines.push(`${m.name}${labels.length ? `{${labels.map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}` : ''} ${number(s.value)}`)
    }
  }
  return `${lines.join('\n')}\n`
}

export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8'

export type OutboxBacklog = { pending: number; oldestPendingSeconds: number; setAside: number }

/** Unpublished outbox rows of this hub's topics (`topicPrefix`): how many, and how old the oldest is. */
export async function outboxBacklog(db: Db, topicPrefix: string): Promise<OutboxBacklog> {
  const own = Object.values(topics).map((spec) => topicName(topicPrefix, spec))
  const { rows } = await db.query<{ pending: string; oldest: number | null; set_aside: string }>(
    `SELECT count(*) FILTER (WHERE set_aside_at IS NULL) AS pending,
            extract(epoch FROM now() - min(created_at) FILTER (WHERE set_aside_at IS NULL))::float8 AS oldest,
            count(*) FILTER (WHERE set_aside_at IS NOT NULL) AS set_aside
       FROM outbox WHERE published_at IS NULL AND topic = ANY($1)`, [own])
  const r = rows[0]!
  return { pending: Number(r.pending), oldestPendingSeconds: Math.max(0, r.oldest ?? 0), setAside: Number(r.set_aside) }
}

/** The readiness verdict on a backlog: a failure text when the oldest pending row is older than the limit. */
export function backlogProblem(backlog: OutboxBacklog, maxAgeMs: number): string | null {
  if (backlog.oldestPendingSeconds * 1000 <= maxAgeMs) return null
  return `the oldest unpublished outbox row is ${Math.round(backlog.oldestPendingSeconds)} s old (limit ${maxAgeMs / 1000} s); ${backlog.pending} row(s) pending`
}

export type DeliveryBacklog = { pending: number; failed: number; oldestDueSeconds: number }

/** This hub's delivery jobs waiting for an attempt or given up (`failed`: the operator's to retry). */
export async function deliveryBacklog(db: Db, topicPrefix: string): Promise<DeliveryBacklog> {
  const { rows } = await db.query<{ pending: string; failed: string; oldest: number | null }>(
    `SELECT count(*) FILTER (WHERE state = 'pending') AS pending, count(*) FILTER (WHERE state = 'failed') AS failed,
            extract(epoch FROM now() - min(next_attempt_at) FILTER (WHERE state = 'pending'))::float8 AS oldest
       FROM delivery_jobs WHERE topic_prefix = $1 AND state IN ('pending', 'failed')`, [topicPrefix])
  const r = rows[0]!
  return { pending: Number(r.pending), failed: Number(r.failed), oldestDueSeconds: Math.max(0, r.oldest ?? 0) }
}

/** Every metric of the gateway, read now. `extra` adds the families of in-process components (housekeeping). */
export async function collectMetrics(db: Db, topicPrefix: string, extra: Metric[] = []): Promise<Metric[]> {
  const [backlog, deliveries, byStatus] = await Promise.all([
    outboxBacklog(db, topicPrefix),
    deliveryBacklog(db, topicPrefix),
    db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM documents GROUP BY status'),
  ])
  const counts = new Map(byStatus.rows.map((r) => [r.status, Number(r.n)]))
  const memory = process.memoryUsage()
  return [
    { name: 'facteur_outbox_pending', type: 'gauge', help: 'Outbox rows committed and not yet published to Kafka.', samples: [{ value: backlog.pending }] },
    { name: 'facteur_outbox_oldest_pending_seconds', type: 'gauge', help: 'Age of the oldest outbox row not yet published (0 when none).', samples: [{ value: backlog.oldestPendingSeconds }] },
    { name: 'facteur_outbox_set_aside', type: 'gauge', help: 'Outbox rows set aside because their value does not fit the topic schema (a bug to look at).', samples: [{ value: backlog.setAside }] },
    { name: 'facteur_delivery_jobs', type: 'gauge', help: 'Delivery jobs (documents and receipts) waiting for an attempt, and given up (to retry once the recipient is fixed).',
      samples: [{ labels: { state: 'pending' }, value: deliveries.pending }, { labels: { state: 'failed' }, value: deliveries.failed }] },
    { name: 'facteur_delivery_oldest_due_seconds', type: 'gauge', help: 'How long the most overdue pending delivery job has been due (0 when none): recipients or the forwarder falling behind.', samples: [{ value: deliveries.oldestDueSeconds }] },
    // Every status of the lifecycle, zero included, so a rate or an alert never sees a series vanish.
    { name: 'facteur_documents', type: 'gauge', help: 'Documents by current status.', samples: Object.keys(statuses).map((status) => ({ labels: { status }, value: counts.get(status) ?? 0 })) },
    ...extra,
    { name: 'facteur_process_resident_memory_bytes', type: 'gauge', help: 'Resident memory of the gateway process.', samples: [{ value: memory.rss }] },
    { name: 'facteur_process_uptime_seconds', type: 'gauge', help: 'Seconds since the gateway process started.', samples: [{ value: Math.round(process.uptime()) }] },
  ]
}
