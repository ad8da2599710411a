// The operator's health page: the readiness checks of GET /readyz (the same functions, passed in by app.ts), the
// outbox and delivery backlogs, and charts of the hub's metrics (issue 8): the gauges GET /metrics reads from
// PostgreSQL (gateway/metrics.ts collectMetrics), deposits per hour over the last 24 hours and deliveries
// finished over the same window (PostgreSQL), and the process's own registry (kit/metrics.ts: consumer lag,
// delivery attempts), which under `npm start` holds every service's.
import type { Router } from 'express'
import { html, type Html } from './html.js'
import { ctx, operatorOnly, signedIn } from './context.js'
import { statusNames } from './i18n.js'
import { am, count, operatorPage, type AdminDeps } from './admin-frame.js'
import type { AdminMessages } from './admin-i18n.js'
import { barChart, columnChart, numbersTable, type Bar, type Tone } from './admin-charts.js'
import { readiness, withinTime } from '../../kit/health.js'
import { registry } from '../../kit/metrics.js'
import type { Db } from '../../kit/db.js'
import { backlogProblem, collectMetrics, type Metric } from '../metrics.js'
import { isStatus } from '../../../schemas/lifecycle.js'

const ERROR_STATUSES = ['REJETEE', 'ECHEC_DISTRIBUTION', 'EN_ERREUR', 'REFUSEE', 'A_RECYCLER']
const DONE_STATUSES = ['MISE_A_DISPOSITION', 'APPROUVEE', 'MISE_EN_PAIEMENT', 'PAIEMENT_TRANSMIS', 'ENCAISSEE']
const statusTone = (s: string): Tone => (ERROR_STATUSES.includes(s) ? 'error' : DONE_STATUSES.includes(s) ? 'ok' : 'neutral')

export type Health = {
  checks: { name: string; failure: string | null }[]
  outbox: { pending: number; oldestPendingSeconds: number; setAside: number; problem: string | null }
  deliveryJobs: { pending: number; failed: number; oldestDueSeconds: number }
  documents: { status: string; count: number }[]
  depositsPerHour: { hour: Date; count: number }[]
  deliveries24h: { delivered: number; failed: number }
  attempts: { kind: string; outcome: string; count: number }[]
  lag: { group: string; topic: string; lag: number }[]
}

const gauge = (metrics: Metric[], name: string, labels: Record<string, string> = {}) =>
  metrics.find((m) => m.name === name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))?.value ?? 0

/** Deposits (documents received) per hour, the current hour and the 23 before it, empty hours included. */
export async function depositsPerHour(db: Db): Promise<{ hour: Date; count: number }[]> {
  const { rows } = await db.query<{ hour: Date; n: number }>(
    `SELECT h AS hour, count(d.id)::int AS n
       FROM generate_series(date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()), interval '1 hour') AS h
       LEFT JOIN documents d ON d.received_at >= h AND d.received_at < h + interval '1 hour'
      GROUP BY h ORDER BY h`)
  return rows.map((r) => ({ hour: r.hour, count: r.n }))
}

/** Everything the page shows, read now. */
export async function readHealth(deps: AdminDeps): Promise<Health> {
  const { db, config } = deps
  const [failures, metrics, perHour, finished, lag, attempts] = await Promise.all([
    readiness(deps.checks ?? {}),
    withinTime(collectMetrics(db, config.topicPrefix), 2_000, 'the metrics'),
    depositsPerHour(db),
    db.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM delivery_jobs WHERE topic_prefix = $1 AND state IN ('delivered', 'failed') AND finished_at >= now() - interval '24 hours' GROUP BY state`,
      [config.topicPrefix]),
    registry.getSingleMetric('facteur_consumer_lag')?.get(),
    registry.getSingleMetric('facteur_delivery_attempts_total')?.get(),
  ])
  const backlog = {
    pending: gauge(metrics, 'facteur_outbox_pending'), oldestPendingSeconds: gauge(metrics, 'facteur_outbox_oldest_pending_seconds'), setAside: gauge(metrics, 'facteur_outbox_set_aside'),
  }
  const byState = new Map(finished.rows.map((r) => [r.state, r.n]))
  return {
    checks: Object.keys(deps.checks ?? {}).map((name) => ({ name, failure: failures[name] ?? null })),
    outbox: { ...backlog, problem: backlogProblem(backlog, config.outboxReadyMaxAgeMs) },
    deliveryJobs: { pending: gauge(metrics, 'facteur_delivery_jobs', { state: 'pending' }), failed: gauge(metrics, 'facteur_delivery_jobs', { state: 'failed' }), oldestDueSeconds: gauge(metrics, 'facteur_delivery_oldest_due_seconds') },
    documents: (metrics.find((m) => m.name === 'facteur_documents')?.samples ?? []).map((s) => ({ status: s.labels!.status!, count: s.value })),
    depositsPerHour: perHour,
    deliveries24h: { delivered: byState.get('delivered') ?? 0, failed: byState.get('failed') ?? 0 },
    attempts: (attempts?.values ?? []).map((v) => ({ kind: String(v.labels.kind), outcome: String(v.labels.outcome), count: v.value })),
    lag: (lag?.values ?? []).map((v) => ({ group: String(v.labels.group), topic: String(v.labels.topic), lag: v.value })),
  }
}

const seconds = (s: number, lang: string) => `${count(Math.round(s), lang)} s`

/** A chart with its numbers beside it, under an h2. */
function chartSection(a: AdminMessages, id: string, title: string, chart: Html, table: Html, note: Html | string = '') {
  return html`<section aria-labelledby="${id}-h" class="chart-block" data-section="${id}"><h2 id="${id}-h">${title}</h2>
    ${note ? html`<p class="hint">${note}</p>` : ''}
    <div class="chart-pair"><figure class="chart">${chart}</figure><div class="chart-numbers">${table}</div></div></section>`
}

function emptyOr(a: AdminMessages, bars: Bar[], draw: () => Html): Html {
  return bars.length === 0 ? html`<p class="hint">${a.nothingYet}</p>` : draw()
}

export function healthBody(a: AdminMessages, lang: 'fr' | 'en', h: Health, prefix: string): Html {
  const ready = h.checks.every((c) => c.failure === null)
  const checkName = (n: string) => a.checkNames[n] ?? (/^service(\d+)$/.test(n) ? a.serviceCheck(Number(n.slice(7)) + 1) : n)

  const documents: Bar[] = h.documents.filter((d) => d.count > 0)
    .map((d) => ({ key: d.status, label: isStatus(d.status) ? statusNames[lang][d.status] : d.status, value: d.count, tone: statusTone(d.status) }))
  const hourLabel = (d: Date) => d.toLocaleTimeString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' })
  const perHour: Bar[] = h.depositsPerHour.map((p) => ({ key: p.hour.toISOString(), label: hourLabel(p.hour), value: p.count }))
  const deliveries: Bar[] = [
    { key: 'delivered', label: a.delivered, value: h.deliveries24h.delivered, tone: 'ok' },
    { key: 'failed', label: a.failed, value: h.deliveries24h.failed, tone: 'error' },
  ]
  const backlog: Bar[] = [
    { key: 'outbox-pending', label: a.outboxPending, value: h.outbox.pending, tone: 'neutral' },
    { key: 'outbox-set-aside', label: a.outboxSetAside, value: h.outbox.setAside, tone: 'warn' },
    { key: 'deliveries-pending', label: a.deliveriesPending, value: h.deliveryJobs.pending, tone: 'neutral' },
    { key: 'deliveries-failed', label: a.deliveriesFailed, value: h.deliveryJobs.failed, tone: 'error' },
  ]
  const short = (name: string) => (name.startsWith(`${prefix}.`) ? name.slice(prefix.length + 1) : name)
  // One bar per consumer group (its topics summed): a hub has some thirty group-topic pairs, listed below it.
  const byGroup = new Map<string, number>()
  for (const l of h.lag) byGroup.set(l.group, (byGroup.get(l.group) ?? 0) + l.lag)
  const lag: Bar[] = [...byGroup].sort(([g1, x], [g2, y]) => y - x || g1.localeCompare(g2))
    .map(([group, value]) => ({ key: group, label: short(group), value, tone: value > 0 ? 'warn' : 'neutral' }))
  const lagByTopic: Bar[] = h.lag.slice().sort((x, y) => x.group.localeCompare(y.group) || x.topic.localeCompare(y.topic))
    .map((l) => ({ key: `${l.group}|${l.topic}`, label: `${short(l.group)} · ${short(l.topic)}`, value: l.lag }))
  const attempts: Bar[] = h.attempts.slice().sort((x, y) => x.kind.localeCompare(y.kind) || x.outcome.localeCompare(y.outcome))
    .map((t) => ({ key: `${t.kind}|${t.outcome}`, label: `${a.kinds[t.kind] ?? t.kind} · ${a.attemptOutcomes[t.outcome] ?? t.outcome}`, value: t.count, tone: t.outcome === 'delivered' ? 'ok' : t.outcome === 'failed' ? 'error' : 'warn' }))

  return html`
    <section aria-labelledby="ready-h" data-section="readiness"><h2 id="ready-h">${a.readiness}</h2>
      <p class="notice ${ready ? 'ok' : 'error'}" data-ready="${ready ? 'ready' : 'not-ready'}">${ready ? a.ready : a.notReady}</p>
      <div class="table" tabindex="0" role="region" aria-labelledby="ready-h"><table class="checks"><thead><tr><th scope="col">${a.check}</th><th scope="col">${a.state}</th><th scope="col">${a.detail}</th></tr></thead>
        <tbody>${h.checks.map((c) => html`<tr data-check="${c.name}" data-ok="${c.failure === null ? 'true' : 'false'}"><td>${checkName(c.name)}</td><td><span class="status ${c.failure === null ? 's-approuvee' : 's-en_erreur'}">${c.failure === null ? a.ok : a.failing}</span></td><td>${c.failure ?? ''}</td></tr>`)}</tbody></table></div>
      <p class="hint">${a.readinessHint} <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></p>
    </section>
    ${chartSection(a, 'backlog', a.backlogTitle,
      barChart({ id: 'backlog', title: a.backlogTitle, bars: backlog, lang }),
      numbersTable({ id: 'backlog', caption: a.backlogTitle, head: [a.what, a.number], bars: backlog, lang }),
      html`${a.oldestPending} <strong data-oldest-pending="${h.outbox.oldestPendingSeconds}">${seconds(h.outbox.oldestPendingSeconds, lang)}</strong> · ${a.oldestDue} <strong>${seconds(h.deliveryJobs.oldestDueSeconds, lang)}</strong>${h.outbox.problem ? html` · <span class="error-text">${h.outbox.problem}</span>` : ''}`)}
    ${chartSection(a, 'documents', a.documentsTitle,
      emptyOr(a, documents, () => barChart({ id: 'documents', title: a.documentsTitle, bars: documents, lang })),
      numbersTable({ id: 'documents', caption: a.documentsTitle, head: [a.status, a.documentsCount], bars: documents, lang }),
      a.documentsHint)}
    ${chartSection(a, 'deposits', a.depositsTitle,
      columnChart({ id: 'deposits', title: a.depositsTitle, bars: perHour, lang }),
      html`<details><summary>${a.everyHour}</summary>${numbersTable({ id: 'deposits', caption: a.depositsTitle, head: [a.hour, a.deposits], bars: perHour, lang })}</details>
        <p>${a.total24h} <strong data-deposits-total="${perHour.reduce((s, b) => s + b.value, 0)}">${count(perHour.reduce((s, b) => s + b.value, 0), lang)}</strong></p>`,
      a.depositsHint)}
    ${chartSection(a, 'deliveries', a.deliveriesTitle,
      barChart({ id: 'deliveries', title: a.deliveriesTitle, bars: deliveries, lang }),
      numbersTable({ id: 'deliveries', caption: a.deliveriesTitle, head: [a.outcome, a.deliveriesCount], bars: deliveries, lang }))}
    ${chartSection(a, 'attempts', a.attemptsTitle,
      emptyOr(a, attempts, () => barChart({ id: 'attempts', title: a.attemptsTitle, bars: attempts, lang })),
      numbersTable({ id: 'attempts', caption: a.attemptsTitle, head: [a.what, a.number], bars: attempts, lang }),
      a.processHint)}
    ${chartSection(a, 'lag', a.lagTitle,
      emptyOr(a, lag, () => barChart({ id: 'lag', title: a.lagTitle, bars: lag, lang })),
      html`${numbersTable({ id: 'lag', caption: a.lagTitle, head: [a.consumerGroup, a.messages], bars: lag, lang })}
        ${lagByTopic.length > 0 ? html`<details><summary>${a.lagPerTopic}</summary>${numbersTable({ id: 'lag-topics', caption: a.lagPerTopic, head: [a.consumerTopic, a.messages], bars: lagByTopic, lang })}</details>` : ''}`,
      a.lagHint)}`
}

export function healthRoutes(r: Router, deps: AdminDeps) {
  r.get('/admin/health', signedIn, operatorOnly, async (req, res) => {
    const h = await readHealth(deps)
    operatorPage(req, res, { section: 'health', body: healthBody(am(req), ctx(req).lang, h, deps.config.topicPrefix) })
  })
}
