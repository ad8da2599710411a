// The delivery job runner (like the outbox relay, off the Kafka consumer path): leases due jobs, makes one
// attempt each through the channels, records the outcome (retry later with back-off, delivered, failed) and,
// on a final outcome, the `delivery` event through the outbox in the same transaction. Woken by LISTEN/NOTIFY
// when a job is added or re-armed, and by its own poll. Any number of forwarders may run side by side.
// Each attempt is counted and timed (kit/metrics.ts), and is a span of its document's trace (kit/trace.ts).
import { randomBytes } from 'node:crypto'
import type { Db } from '../kit/db.js'
import { startPollLoop } from '../kit/poll-loop.js'
import type { Logger } from '../kit/log.js'
import { loadDocument } from '../kit/claim-check.js'
import { facturXFromCii } from '../pdf/facturx-out.js'
import type { Delivery } from './channels/channel.js'
import { attemptDelivery, type Channels } from './deliver.js'
import { afterAttempt } from './jobs.js'
import { claimJobs, finishAttempt, loadReceipt, JOBS_CHANNEL, type ClaimedJob } from './store.js'
import { acceptToDeliveredSeconds, deliveryAttempts, deliveryAttemptSeconds } from '../kit/metrics.js'
import { childSpan, formatTraceparent, parseTraceparent, traceFields, type TraceContext } from '../kit/trace.js'

export type RunnerOptions = {
  db: Db; log: Logger; channels: Channels; topicPrefix: string
  concurrency: number; perEndpoint: number; leaseMs: number; pollMs: number; maxAttempts: number; backoffMs: number
}

export type Runner = { stop(): Promise<void>; lastError(): string | null; inFlight(): number }

export function startDeliveryRunner(options: RunnerOptions): Runner {
  const { db, channels } = options
  const log = options.log.child({ component: 'delivery-runner' })
  // Names this runner's leases: a runner that outlived its lease finds its job taken and leaves it.
  const owner = `forwarder-${process.pid}-${randomBytes(4).toString('hex')}`
  const running = new Set<Promise<void>>()
  let stopped = false
  let lastError: string | null = null

  /** What to deliver; a document's attempt with its span (under the document's trace) and its acceptance time. */
  const load = async (job: ClaimedJob): Promise<{ delivery: Delivery; trace: TraceContext | null; receivedAt: Date | null }> => {
    if (job.kind === 'document') {
      const doc = await loadDocument(db, job.documentId)
      const parent = parseTraceparent(doc.traceparent)
      const trace = parent ? childSpan(parent) : null
      const delivered = job.format === 'factur-x' ? await asFacturX(doc, job) : { contentType: doc.contentType, bytes: doc.bytes }
      return {
        delivery: { documentId: job.documentId, ...delivered, invoice: doc.invoice, ...(trace ? { traceparent: formatTraceparent(trace) } : {}) },
        trace, receivedAt: doc.receivedAt,
      }
    }
    const xml = await loadReceipt(db, job.documentId, job.receiptSequence)
    return { delivery: { documentId: job.documentId, name: `${job.documentId}.receipt-${job.receiptSequence}`, contentType: 'application/xml', bytes: Buffer.from(xml, 'utf8') }, trace: null, receivedAt: null }
  }

  /**
   * A recipient that asked for Factur-X gets a CII invoice deposited as XML as a Factur-X PDF/A-3 with that CII
   * embedded, made the same at every attempt (its dates are the deposit's); anything else (already a PDF, UBL, a CII
   * of no Factur-X profile) goes as deposited, and the log says why.
   */
  const asFacturX = async (doc: Awaited<ReturnType<typeof loadDocument>>, job: ClaimedJob) => {
    if (doc.contentType === 'application/pdf') return { contentType: doc.contentType, bytes: doc.bytes }
    const made = await facturXFromCii(doc.invoice, { now: doc.receivedAt })
    if (!made.ok) {
      log.info({ documentId: job.documentId, endpoint: job.endpoint, reason: made.reason }, 'the recipient asked for Factur-X; this document goes as deposited')
      return { contentType: doc.contentType, bytes: doc.bytes }
    }
    return { contentType: 'application/pdf', bytes: Buffer.from(made.pdf) }
  }

  const runOne = async (job: ClaimedJob) => {
    let jobLog = log.child({ documentId: job.documentId, job: job.id, kind: job.kind, ...(job.kind === 'receipt' ? { receipt: job.receiptSequence } : {}) })
    try {
      const { delivery, trace, receivedAt } = await load(job)
      jobLog = jobLog.child(traceFields(trace))
      const started = performance.now()
      const outcome = await attemptDelivery(job.endpoint, delivery, channels)
      const labels = { kind: job.kind, outcome: outcome.outcome }
      deliveryAttempts.inc(labels)
      deliveryAttemptSeconds.observe(labels, (performance.now() - started) / 1000)
      const t = afterAttempt(job.attempt, outcome, { maxAttempts: options.maxAttempts, backoffMs: options.backoffMs, now: Date.now() })
      const recorded = await finishAttempt(db, options.topicPrefix, job, t)
      lastError = null
      if (recorded === 'recorded' && t.state === 'delivered' && receivedAt) acceptToDeliveredSeconds.observe((Date.now() - receivedAt.getTime()) / 1000)
      const fields = { endpoint: job.endpoint, generation: job.generation, attempt: job.attempt, outcome: outcome.outcome, detail: outcome.detail, state: t.state }
      if (recorded === 'lost') jobLog.warn(fields, 'delivery attempt outlived its lease; the job was taken by another runner')
      else jobLog[t.state === 'delivered' ? 'info' : t.state === 'failed' ? 'error' : 'warn'](fields, t.state === 'pending' ? 'delivery attempt; will retry' : t.state === 'delivered' ? 'delivered' : 'delivery given up')
    } catch (error) {
      // PostgreSQL unavailable, or the document missing: the lease runs out and the job is taken again.
      lastError = String((error as Error).message)
      jobLog.warn({ err: error }, 'delivery attempt could not be completed; the job is retried once its lease expires')
    }
  }

  /** Claims as many due jobs as there are free slots and starts them; true when every slot was filled. */
  const round = async () => {
    const free = options.concurrency - running.size
    if (free <= 0 || stopped) return false
    const jobs = await claimJobs(db, { topicPrefix: options.topicPrefix, owner, slots: free, perEndpoint: options.perEndpoint, leaseMs: options.leaseMs })
    for (const job of jobs) {
      // A finished attempt frees a slot: look for the next due job at once.
      const p: Promise<void> = runOne(job).finally(() => { running.delete(p); loop.wake() })
      running.add(p)
    }
    return jobs.length > 0 && jobs.length === free
  }
  const loop = startPollLoop({ db, channel: JOBS_CHANNEL, pollMs: options.pollMs, log, round, failing: 'delivery runner cannot read its jobs; deliveries wait' })

  return {
    async stop() {
      stopped = true
      await loop.stop()
      // Attempts under way finish (each is bounded by the channel's timeout) and are recorded.
      await Promise.allSettled([...running])
    },
    lastError: () => lastError ?? loop.lastError(),
    inFlight: () => running.size,
  }
}
