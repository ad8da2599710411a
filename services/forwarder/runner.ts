// The delivery job runner (like the outbox relay, off the Kafka consumer path): leases due jobs, makes one
// attempt each through the channels, records the outcome (retry later with back-off, delivered, failed) and,
// on a final outcome, the `delivery` event through the outbox in the same transaction. Woken by LISTEN/NOTIFY
// when a job is added or re-armed, and by its own poll. Any number of forwarders may run side by side.
import { randomBytes } from 'node:crypto'
import type { Db } from '../kit/db.js'
import { startPollLoop } from '../kit/poll-loop.js'
import type { Logger } from '../kit/log.js'
import { loadDocument } from '../kit/claim-check.js'
import type { Delivery } from './channels/channel.js'
import { attemptDelivery, type Channels } from './deliver.js'
import { afterAttempt } from './jobs.js'
import { claimJobs, finishAttempt, loadReceipt, JOBS_CHANNEL, type ClaimedJob } from './store.js'

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

  const load = async (job: ClaimedJob): Promise<Delivery> => {
    if (job.kind === 'document') return { documentId: job.documentId, ...(await loadDocument(db, job.documentId)) }
    const xml = await loadReceipt(db, job.documentId, job.receiptSequence)
    return { documentId: job.documentId, name: `${job.documentId}.receipt-${job.receiptSequence}`, contentType: 'application/xml', bytes: Buffer.from(xml, 'utf8') }
  }

  const runOne = async (job: ClaimedJob) => {
    const jobLog = log.child({ documentId: job.documentId, job: job.id, kind: job.kind, ...(job.kind === 'receipt' ? { receipt: job.receiptSequence } : {}) })
    try {
      const outcome = await attemptDelivery(job.endpoint, await load(job), channels)
      const t = afterAttempt(job.attempt, outcome, { maxAttempts: options.maxAttempts, backoffMs: options.backoffMs, now: Date.now() })
      const recorded = await finishAttempt(db, options.topicPrefix, job, t)
      lastError = null
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
