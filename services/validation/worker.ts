// One validation worker: loads the compiled packs and schemas once (artefacts passed by the pool), then
// validates the batches it is sent. See pool.ts for the protocol.
import { parentPort, workerData } from 'node:worker_threads'
import { getHeapStatistics } from 'node:v8'
import type { Artefacts } from './artefacts.js'
import { createPipeline, type Job, type Verdict } from './pipeline.js'

export type Request = { id: number; jobs: Job[] }
export type Reply = { id: number; verdicts: Verdict[] } | { id: number; error: string } | { ready: true; memory: number }

const pipeline = createPipeline((workerData as { artefacts: Artefacts }).artefacts)
const port = parentPort!
port.postMessage({ ready: true, memory: getHeapStatistics().used_heap_size } satisfies Reply)
port.on('message', ({ id, jobs }: Request) => {
  try {
    port.postMessage({ id, verdicts: pipeline.validateBatch(jobs) } satisfies Reply)
  } catch (error) {
    port.postMessage({ id, error: (error as Error).stack ?? String(error) } satisfies Reply)
  }
})
