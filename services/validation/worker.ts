// One validation worker: loads the compiled packs and schemas once (artefacts and engine passed by the
// pool), then validates the batches it is sent. See pool.ts for the protocol.
import { parentPort, workerData } from 'node:worker_threads'
import { getHeapStatistics } from 'node:v8'
import type { Artefacts } from './artefacts.js'
import { createPipeline, type Engine, type Job, type PackInfo, type Verdict } from './pipeline.js'

export type WorkerData = { artefacts: Artefacts; engine: Engine; lazy: boolean }
export type Request = { id: number; jobs: Job[] }
export type Reply = { id: number; verdicts: Verdict[] } | { id: number; error: string } | { ready: true; memory: number; packs: PackInfo[] }

const { artefacts, engine, lazy } = workerData as WorkerData
const pipeline = createPipeline(artefacts, { engine, lazy })
const port = parentPort!
port.postMessage({ ready: true, memory: getHeapStatistics().used_heap_size, packs: pipeline.packs } satisfies Reply)
port.on('message', ({ id, jobs }: Request) => {
  try {
    port.postMessage({ id, verdicts: pipeline.validateBatch(jobs) } satisfies Reply)
  } catch (error) {
    port.postMessage({ id, error: (error as Error).stack ?? String(error) } satisfies Reply)
  }
})
