// The validation worker pool, shared by the validation service, the CLI and the benchmark. SaxonJS is
// synchronous and CPU-bound, so validation runs in worker_threads, one per core by default, each holding
// the compiled packs (loaded once per worker) for the rule engine chosen (pipeline.ts: `native` or
// `saxonjs`, passed to each worker in its workerData). Queued documents go to an idle worker in batches of up to
// `maxBatch`: each pack then runs once per batch (saxon-engine.ts). A worker that dies is replaced; the
// documents it held are retried once on another worker, then their promises reject (the caller decides:
// the service retries and dead-letters, the CLI reports the file as not validated).
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { ensureArtefacts, type Artefacts } from './artefacts.js'
import type { Engine, Job, PackInfo, Verdict } from './pipeline.js'
import type { Reply, Request, WorkerData } from './worker.js'

export type Pool = {
  validate(job: Job): Promise<Verdict>
  /** the packs with the engine that runs each (as the first worker loaded them) */
  packs: PackInfo[]
  engine: Engine
  size: number
  /** heap in use per worker after loading the packs, in bytes */
  memory: number[]
  close(): Promise<void>
}

export type PoolOptions = { size?: number; maxBatch?: number; artefacts?: Artefacts; engine?: Engine; onProgress?: (m: string) => void }

type Pending = { job: Job; resolve: (v: Verdict) => void; reject: (e: Error) => void; attempts: number }
type Slot = { worker: Worker; busy: Pending[] | null; requestId: number }

const workerUrl = new URL('./worker.mjs', import.meta.url)

export async function createValidationPool(options: PoolOptions = {}): Promise<Pool> {
  const artefacts = options.artefacts ?? await ensureArtefacts({ onProgress: options.onProgress })
  const size = Math.max(1, options.size ?? availableParallelism())
  const maxBatch = Math.max(1, options.maxBatch ?? 10)
  const queue: Pending[] = []
  const slots: Slot[] = []
  const memory: number[] = []
  const engine = options.engine ?? 'native'
  let packs: PackInfo[] = []
  let closing = false
  let nextId = 1

  function spawn(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerUrl, { workerData: { artefacts, engine } satisfies WorkerData })
      const slot: Slot = { worker, busy: null, requestId: 0 }
      slots[index] = slot
      let ready = false
      worker.on('message', (reply: Reply) => {
        if ('ready' in reply) { ready = true; memory[index] = reply.memory; packs = reply.packs; resolve(); pump(); return }
        const batch = slot.busy
        if (!batch || reply.id !== slot.requestId) return
        slot.busy = null
        if ('error' in reply) batch.forEach((p) => retryOrFail(p, new Error(`validation failed: ${reply.error}`)))
        else batch.forEach((p, i) => p.resolve(reply.verdicts[i]!))
        pump()
      })
      worker.on('error', (error) => {
        if (!ready) { reject(new Error(`validation worker could not start: ${error.message}`, { cause: error })); return }
        const batch = slot.busy
        slot.busy = null
        batch?.forEach((p) => retryOrFail(p, error))
      })
      worker.on('exit', (code) => {
        if (closing || slots[index] !== slot) return
        const batch = slot.busy
        slot.busy = null
        batch?.forEach((p) => retryOrFail(p, new Error(`validation worker exited with code ${code}`)))
        options.onProgress?.(`validation worker ${index} exited (code ${code}); starting a new one`)
        spawn(index).catch((e: Error) => { for (const p of queue.splice(0)) p.reject(e) })
      })
    })
  }

  function retryOrFail(p: Pending, error: Error) {
    if (p.attempts < 2) queue.unshift(p)
    else p.reject(error)
  }

  function pump() {
    for (const slot of slots) {
      if (!slot || slot.busy || queue.length === 0) continue
      const batch = queue.splice(0, maxBatch)
      batch.forEach((p) => p.attempts++)
      slot.busy = batch
      slot.requestId = nextId++
      slot.worker.postMessage({ id: slot.requestId, jobs: batch.map((p) => p.job) } satisfies Request)
    }
  }

  await Promise.all(Array.from({ length: size }, (_, i) => spawn(i)))

  return {
    packs, engine, size, memory,
    validate(job) {
      if (closing) return Promise.reject(new Error('the validation pool is closed'))
      return new Promise((resolve, reject) => { queue.push({ job, resolve, reject, attempts: 0 }); pump() })
    },
    async close() {
      closing = true
      for (const p of queue.splice(0)) p.reject(new Error('the validation pool is closed'))
      await Promise.all(slots.map((s) => s.worker.terminate()))
    },
  }
}
