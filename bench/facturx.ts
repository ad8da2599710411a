// Factur-X costs, in this process (`npm run bench:facturx [-- --lines 9 --rounds 20]`): reading a deposited Factur-X
// (readFacturX directly, then through its reader thread as ingest does), making one from a CII invoice
// (facturXFromCii: the rendering, the embedded CII, PDF/A-3b), and rendering a readable PDF of a UBL invoice; with an
// invoice of --lines lines. Then a decompression bomb (200 MB of zeros, deflated) through the reader thread. Prints
// milliseconds per document and the resident memory; not a test.
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { facturXFromCii } from '../services/pdf/facturx-out.js'
import { readInvoiceView } from '../services/pdf/invoice-view.js'
import { renderInvoicePdf } from '../services/pdf/render.js'
import { defaultPdfLimits, readFacturX } from '../services/ingest/facturx.js'
import { defaultReaderLimits, extractFacturX } from '../services/ingest/facturx-worker.js'
import { largeUblInvoice } from '../test/large-invoice.js'
import { buildFacturX } from '../test/facturx-pdf.js'

const { values } = parseArgs({ options: { lines: { type: 'string', default: '9' }, rounds: { type: 'string', default: '20' } } })
const rounds = Number(values.rounds)
const cii = readFileSync(new URL('../test/fixtures/cii-invoice.xml', import.meta.url))
const ubl = Buffer.from(largeUblInvoice(Number(values.lines)))
const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20)

async function time(label: string, work: () => Promise<unknown> | unknown) {
  await work() // warm-up
  const samples: number[] = []
  for (let i = 0; i < rounds; i++) {
    const t = performance.now()
    await work()
    samples.push(performance.now() - t)
  }
  samples.sort((a, b) => a - b)
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length
  console.log(`${label.padEnd(58)} mean ${mean.toFixed(1).padStart(7)} ms  p50 ${samples[Math.floor(samples.length / 2)]!.toFixed(1).padStart(7)} ms  max ${samples.at(-1)!.toFixed(1).padStart(7)} ms  rss ${rssMb()} MB`)
}

const made = await facturXFromCii(cii)
if (!made.ok) throw new Error(made.reason)
const pdf = Buffer.from(made.pdf)
console.log(`Factur-X of test/fixtures/cii-invoice.xml: ${(pdf.length / 1024).toFixed(0)} KB; UBL invoice of ${values.lines} lines: ${(ubl.length / 1024).toFixed(1)} KB; ${rounds} rounds`)
await time('read a Factur-X (readFacturX, this thread)', () => readFacturX(pdf, defaultPdfLimits))
await time('read a Factur-X (extractFacturX, its own thread, as ingest)', () => extractFacturX(pdf, defaultPdfLimits, defaultReaderLimits))
await time('make a Factur-X from a CII invoice (facturXFromCii)', () => facturXFromCii(cii))
const view = readInvoiceView(ubl)
if (!view.ok) throw new Error(view.reason)
await time(`render a readable PDF of a ${values.lines}-line UBL invoice`, () => renderInvoicePdf(view.view))
const bomb = await buildFacturX(cii, { bombBytes: 200 << 20 })
console.log(`decompression bomb: ${(bomb.length / 1024).toFixed(0)} KB on disk, 200 MB inflated`)
await time('refuse the bomb (extractFacturX, its own thread)', async () => {
  const read = await extractFacturX(bomb, defaultPdfLimits, defaultReaderLimits)
  if (read.ok || read.findings[0]?.ruleId !== 'FACTURX-TOO-COMPLEX') throw new Error('the bomb was not refused as too complex')
})
