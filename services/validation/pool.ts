// The validation worker pool, shared by the validation service, the CLI and the benchmark. SaxonJS is
// synchronous and CPU-bound, so validation runs in worker_threads, one per core by default, each holding
// the compiled packs (loaded once per worker) for the rule engine chosen (pipeline.ts: `native` or
// `saxonjs`, passed to each worker in its workerData). Queued documents go to an idle worker in batches of up to
// `maxBatch`: each pack then runs once per batch (saxon-engine.ts).
//
// Limits (issue 10 §4), so that one document cannot stall or sink the others:
// - time: each dispatch to a worker (a batch, or one document) has `timeoutMs` of wall-clock time; past it the
//   worker is terminated and replaced. The budget is per dispatch, not per document in the batch: a verdict
//   is only ever given to a document run alone with the full budget, so a batch that runs out of time costs
//   a re-run, never a false verdict, and the batch-mates of a hanging document wait `timeoutMs`, not ten times it.
// - memory: each worker's JavaScript heap is capped (Worker resourceLimits, `memoryMb` of old generation);
//   a document that needs more kills only its worker (ERR_WORKER_OUT_OF_MEMORY), never the process.
// When a batch fails (its worker timed out, ran out of memory, crashed, or the pipeline threw), each of its
// documents is queued again, alone and ahead of new work, so every batch-mate gets its own verdict. A document
// that fails alone is the guilty one: for the time and memory limits and a crash it gets a verdict of its own,
// INVALID with one fatal finding (FACTEUR-VALIDATION-TIMEOUT | -RESOURCES | -CRASH: the same document would hit
// the same wall again, so retrying it only stalls its partition); an exception thrown by the pipeline alone
// stays an error (a bug of ours, not the sender's: the service retries and dead-letters it, EN_ERREUR, for a
// replay once fixed). A worker that cannot start is an error too, never a verdict.
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import type { Finding } from '../../schemas/events.js'
import { ensureArtefacts, type Artefacts } from './artefacts.js'
import type { Engine, Job, PackInfo, Verdict } from './pipeline.js'
import type { Reply, Request, WorkerData } from './worker.js'

export type Pool = {
  /** `documentId` only names the document in the pool's events (logs); it is not sent to the worker */
  validate(job: Job, documentId?: string): Promise<Verdict>
  /** the packs with the engine that runs each (as the first worker loaded them) */
  packs: PackInfo[]
  engine: Engine
  size: number
  /** heap in use per worker after loading the packs, in bytes */
  memory: number[]
  /** the limits in force (after defaults) */
  limits: { timeoutMs: number; memoryMb: number }
  close(): Promise<void>
}

/** Why a dispatch failed: the limits and a dead worker are the document's doing; `exception` is the pipeline's. */
export type FailureCause = 'timeout' | 'resources' | 'crash' | 'exception'

/**
 * Something the operator should see, one per failed dispatch or failed worker start. `outcome` says what
 * became of the documents: re-run alone, given the finding `ruleId`, or rejected as an error.
 */
export type PoolEvent = {
  message: string
  cause: FailureCause | 'start'
  worker: number
  documentIds: string[]
  outcome: 'rerun-alone' | 'verdict' | 'error' | 'worker-replaced'
  ruleId?: string
  ms?: number
}

export type PoolOptions = {
  size?: number
  maxBatch?: number
  artefacts?: Artefacts
  engine?: Engine
  /** each worker loads a pack or schema when a document first needs it (pipeline.ts, PipelineOptions.lazy): the CLI */
  lazy?: boolean
  /** wall-clock time of one dispatch to a worker (see above); default `defaultLimits.timeoutMs` */
  timeoutMs?: number
  /** old-generation heap of each worker in MB (Worker resourceLimits.maxOldGenerationSizeMb); default `defaultLimits.memoryMb` */
  memoryMb?: number
  onProgress?: (m: string) => void
  /** failures and replacements; when absent their message goes to onProgress */
  onEvent?: (e: PoolEvent) => void
}

/**
 * The defaults of the settings FACTEUR_VALIDATION_TIMEOUT_MS and FACTEUR_VALIDATION_WORKER_MEMORY_MB (kept equal
 * by pool.test.ts). Measured with the native engine on a 2-core EPYC (test/large-invoice.ts, 16 000 lines = 9.4 MB,
 * the largest document the default 10 MB upload limit lets in): about 19 s on one core, 3x that allowed; it
 * fails with a 384 MB heap and passes with 512 MB, but close to the limit V8 collects all the time (130 s at
 * 512 MB), so the default is 4x the need; below 2 GB V8 also grows the heap less eagerly (more collections on the
 * ordinary path). A worker holds 60-75 MB after loading the packs. SaxonJS grows worse
 * than linearly on large documents (3 MB: 68 s, 9.4 MB: 10 min): with it, raise the timeout or lower the upload limit.
 */
export const defaultLimits = { timeoutMs: 60_000, memoryMb: 2048 } as const

/** The rule ids of the verdicts the pool gives a document that hits a limit alone. */
export const limitRules = {
  timeout: 'FACTEUR-VALIDATION-TIMEOUT',
  resources: 'FACTEUR-VALIDATION-RESOURCES',
  crash: 'FACTEUR-VALIDATION-CRASH',
} as const

type Pending = { job: Job; documentId: string | null; resolve: (v: Verdict) => void; reject: (e: Error) => void; alone: boolean }
type Slot = {
  index: number; worker: Worker; ready: boolean; retired: boolean
  busy: Pending[] | null; requestId: number; started: number; timer: NodeJS.Timeout | null
}

// Compiled (dist/, bin/build.mjs) the worker is plain JavaScript; from the sources worker.mjs registers tsx first.
const workerUrl = new URL(import.meta.url.endsWith('.js') ? './worker.js' : './worker.mjs', import.meta.url)
const mib = (bytes: number) => (bytes / 1048576).toFixed(1)

/**
 * The verdict of a document that hit a limit alone: what happened, which limit, and what the sender can do. The
 * sender reads it (status, receipts): the worker's own error text stays in the operator's log.
 */
export function limitVerdict(cause: 'timeout' | 'resources' | 'crash', job: Job, limits: { timeoutMs: number; memoryMb: number }): Verdict {
  const size = `${mib(Buffer.byteLength(job.text))} MB`
  const message = {
    timeout: `Validation of this document (${size}) did not finish within the hub's limit of ${limits.timeoutMs / 1000} s, so its rules were not checked. ` +
      'Send it again split into smaller invoices (fewer invoice lines), or ask the hub operator whether a larger document can be accepted.',
    resources: `Validating this document (${size}) needed more memory than the hub allows one validation (${limits.memoryMb} MB), so its rules were not checked. ` +
      'Send it again split into smaller invoices (fewer invoice lines, smaller embedded attachments), or ask the hub operator whether a larger document can be accepted.',
    crash: `The validator stopped unexpectedly while checking this document (${size}), so its rules were not checked. ` +
      'Check that the document is an ordinary invoice (no unusual nesting or very long values) and send it again; if it keeps failing, give the hub operator its document id.',
  }[cause]
  const finding: Finding = { ruleId: limitRules[cause], severity: 'fatal', location: '/', message, pack: null, line: null }
  return { valid: false, syntax: job.syntax ?? null, ran: [], findings: [finding] }
}

export async function createValidationPool(options: PoolOptions = {}): Promise<Pool> {
  const artefacts = options.artefacts ?? await ensureArtefacts({ onProgress: options.onProgress })
  const size = Math.max(1, options.size ?? availableParallelism())
  const maxBatch = Math.max(1, options.maxBatch ?? 10)
  const limits = { timeoutMs: options.timeoutMs ?? defaultLimits.timeoutMs, memoryMb: options.memoryMb ?? defaultLimits.memoryMb }
  const queue: Pending[] = []
  const slots: Slot[] = []
  const memory: number[] = []
  const engine = options.engine ?? 'native'
  let packs: PackInfo[] = []
  let closing = false
  let nextId = 1
  const report = (e: PoolEvent) => (options.onEvent ? options.onEvent(e) : options.onProgress?.(e.message))

  function spawn(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerUrl, {
        workerData: { artefacts, engine, lazy: options.lazy ?? false } satisfies WorkerData,
        resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb },
      })
      const slot: Slot = { index, worker, ready: false, retired: false, busy: null, requestId: 0, started: 0, timer: null }
      slots[index] = slot
      worker.on('message', (reply: Reply) => {
        if (slot.retired) return
        if ('ready' in reply) { slot.ready = true; memory[index] = reply.memory; packs = reply.packs; resolve(); pump(); return }
        const batch = slot.busy
        if (!batch || reply.id !== slot.requestId) return
        settle(slot)
        if ('error' in reply) failed(slot, batch, 'exception', `the pipeline threw: ${reply.error}`)
        else batch.forEach((p, i) => p.resolve(reply.verdicts[i]!))
        pump()
      })
      worker.on('error', (error: Error & { code?: string }) => {
        if (!slot.ready) { slot.retired = true; reject(new Error(`validation worker could not start: ${error.message}`, { cause: error })); return }
        const oom = error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        retire(slot, oom ? 'resources' : 'crash', oom ? `worker out of memory (${limits.memoryMb} MB heap limit)` : `worker error: ${error.message}`)
      })
      worker.on('exit', (code) => {
        if (!slot.ready) { if (!slot.retired) { slot.retired = true; reject(new Error(`validation worker exited with code ${code} while starting`)) } return }
        retire(slot, 'crash', `worker exited with code ${code}`)
      })
    })
  }

  function settle(slot: Slot) {
    if (slot.timer) clearTimeout(slot.timer)
    slot.timer = null
    slot.busy = null
  }

  /** The worker is gone or must go: fail its batch, replace it. Idempotent ('error' is followed by 'exit'). */
  function retire(slot: Slot, cause: Exclude<FailureCause, 'exception'>, detail: string) {
    if (slot.retired || closing) return
    slot.retired = true
    const batch = slot.busy
    settle(slot)
    // Termination of a hung thread is asynchronous; the replacement does not wait for it.
    if (cause === 'timeout') void slot.worker.terminate()
    if (batch) failed(slot, batch, cause, detail)
    else report({ message: `validation worker ${slot.index} stopped while idle (${detail}); starting a new one`, cause, worker: slot.index, documentIds: [], outcome: 'worker-replaced' })
    replace(slot.index, 1_000)
  }

  /** A worker that cannot start is an error for whatever waits; the pool tries again, backing off up to 30 s. */
  function replace(index: number, delayMs: number) {
    spawn(index).catch((error: Error) => {
      if (closing) return
      report({ message: `${error.message}; trying again in ${delayMs / 1000} s`, cause: 'start', worker: index, documentIds: [], outcome: 'error' })
      if (!slots.some((s) => s.ready && !s.retired)) for (const p of queue.splice(0)) p.reject(error)
      setTimeout(() => { if (!closing) replace(index, Math.min(delayMs * 2, 30_000)) }, delayMs).unref()
    })
  }

  function failed(slot: Slot, batch: Pending[], cause: FailureCause, detail: string) {
    const ms = Math.round(performance.now() - slot.started)
    const documentIds = batch.map((p) => p.documentId ?? '(unnamed)')
    if (batch.length > 1) {
      // Ahead of new work, in their order: the batch-mates have waited already.
      queue.unshift(...batch.map((p) => ({ ...p, alone: true })))
      report({ message: `validation batch of ${batch.length} failed on worker ${slot.index} after ${ms} ms (${cause}: ${detail}); re-running each document alone`, cause, worker: slot.index, documentIds, outcome: 'rerun-alone', ms })
      return
    }
    const p = batch[0]!
    if (cause === 'exception') {
      report({ message: `validation of document ${documentIds[0]} failed on worker ${slot.index} (${detail})`, cause, worker: slot.index, documentIds, outcome: 'error', ms })
      p.reject(new Error(`validation failed: ${detail}`))
      return
    }
    const verdict = limitVerdict(cause, p.job, limits)
    const ruleId = verdict.findings[0]!.ruleId
    report({ message: `document ${documentIds[0]} failed validation alone on worker ${slot.index} after ${ms} ms (${cause}: ${detail}): ${ruleId}`, cause, worker: slot.index, documentIds, outcome: 'verdict', ruleId, ms })
    p.resolve(verdict)
  }

  function pump() {
    for (const slot of slots) {
      if (!slot || !slot.ready || slot.retired || slot.busy || queue.length === 0) continue
      // A document re-run after a failed batch goes alone, and never joins a batch.
      let n = 1
      if (!queue[0]!.alone) while (n < maxBatch && n < queue.length && !queue[n]!.alone) n++
      const batch = queue.splice(0, n)
      slot.busy = batch
      slot.requestId = nextId++
      slot.started = performance.now()
      slot.timer = setTimeout(() => retire(slot, 'timeout', `no answer within ${limits.timeoutMs} ms`), limits.timeoutMs)
      slot.worker.postMessage({ id: slot.requestId, jobs: batch.map((p) => p.job) } satisfies Request)
    }
  }

  try {
    await Promise.all(Array.from({ length: size }, (_, i) => spawn(i)))
  } catch (error) {
    closing = true
    await Promise.all(slots.map((s) => s?.worker.terminate()))
    throw error
  }

  return {
    packs, engine, size, memory, limits,
    validate(job, documentId) {
      if (closing) return Promise.reject(new Error('the validation pool is closed'))
      return new Promise((resolve, reject) => { queue.push({ job, documentId: documentId ?? null, resolve, reject, alone: false }); pump() })
    },
    async close() {
      closing = true
      const closed = new Error('the validation pool is closed')
      for (const p of queue.splice(0)) p.reject(closed)
      for (const s of slots) { const batch = s.busy; settle(s); batch?.forEach((p) => p.reject(closed)) }
      await Promise.all(slots.map((s) => s.worker.terminate()))
    },
  }
}
