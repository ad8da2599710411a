// readFacturX (facturx.ts) off the event loop: each PDF is read on a worker thread of its own, with a heap cap
// (Worker resourceLimits) and a wall-clock limit, so a hostile PDF costs that thread, never the event loop or
// the process. Past either limit the thread is terminated and the PDF gets FACTURX-TOO-COMPLEX. PDF deposits are
// rare, so one thread per call (it starts in tens of ms compiled, about a second through tsx) beats a pool.
//
// The heap cap covers JavaScript objects; buffers (the PDF, decoded streams) live outside the V8 heap and are
// bounded by PdfLimits instead (maxBytes, maxStreamBytes, maxXmlBytes).
//
// This module is both sides: extractFacturX on the caller's thread, and the reader when it is loaded as the
// thread extractFacturX starts (recognised by its workerData).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { readFacturX, tooComplex, type FacturXRead, type PdfLimits } from './facturx.js'

export type ReaderLimits = {
  /** wall-clock time of the reading, once the thread has started */
  timeoutMs: number
  /** old-generation heap of the thread in MB (Worker resourceLimits.maxOldGenerationSizeMb) */
  maxHeapMb: number
}

/**
 * An ordinary Factur-X takes tens of ms; the thread starts in about 0.3 s compiled (mostly loading pdf-lib),
 * 0.7 s through tsx. The heap holds the PDF as text while scanning (20 MB at the default maxBytes) and its
 * objects; 48 MB ran out on 400 000 small objects (16 MB).
 */
export const defaultReaderLimits: ReaderLimits = { timeoutMs: 10_000, maxHeapMb: 128 }

const role = 'facteur-facturx-reader'
type Request = { pdf: Uint8Array; limits: PdfLimits }
type Reply = { ready: true } | { read: FacturXRead } | { error: string }

// Compiled (dist/, bin/build.mjs) the thread is plain JavaScript; from the sources the .mjs registers tsx first.
const workerUrl = new URL(import.meta.url.endsWith('.js') ? './facturx-worker.js' : './facturx-worker.mjs', import.meta.url)

/**
 * readFacturX on a thread of its own. Resolves with FACTURX-TOO-COMPLEX when the thread runs out of time or
 * memory or dies while reading; rejects only when the thread cannot start or the reader throws (our bugs).
 */
export function extractFacturX(pdf: Buffer, limits: PdfLimits, { timeoutMs, maxHeapMb }: ReaderLimits): Promise<FacturXRead> {
  // Refused by size before a copy of it goes to a thread.
  if (pdf.length > limits.maxBytes) return Promise.resolve(readFacturX(pdf, limits))
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: { role }, resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } })
    let reading = false
    let timer: NodeJS.Timeout | undefined
    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void worker.terminate()
      outcome()
    }
    const failed = (message: string, cause?: Error) => settle(() => reject(new Error(`the Factur-X reader thread ${message}`, { cause })))
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) {
        reading = true
        timer = setTimeout(() => settle(() => resolve(tooComplex(`reading it took longer than the ${timeoutMs} ms allowed`))), timeoutMs)
        worker.postMessage({ pdf, limits } satisfies Request)
      } else if ('error' in reply) failed(`threw: ${reply.error}`)
      else settle(() => resolve(revive(reply.read)))
    })
    worker.on('error', (error: Error & { code?: string }) => {
      if (reading && error.code === 'ERR_WORKER_OUT_OF_MEMORY') settle(() => resolve(tooComplex(`reading it needed more than the ${maxHeapMb} MB of memory allowed`)))
      else failed(reading ? `failed: ${error.message}` : `could not start: ${error.message}`, error)
    })
    worker.on('exit', (code) => {
      if (reading) settle(() => resolve(tooComplex(`the reader stopped while reading it (exit code ${code})`)))
      else failed(`exited with code ${code} while starting`)
    })
  })
}

/** A Buffer crosses threads as a plain Uint8Array: make it a Buffer again, without copying. */
function revive(read: FacturXRead): FacturXRead {
  if (!read.ok) return read
  const { xml } = read.facts
  return { ...read, facts: { ...read.facts, xml: Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength) } }
}

function serve() {
  const port = parentPort!
  port.once('message', ({ pdf, limits }: Request) => {
    let reply: Reply
    try {
      reply = { read: readFacturX(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength), limits) }
    } catch (error) {
      reply = { error: (error as Error).stack ?? String(error) }
    }
    port.postMessage(reply)
  })
  port.postMessage({ ready: true } satisfies Reply)
}

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === role) serve()
