// The worker pool's limits on the real pool, real workers and real documents (issue 10 §4): a document that
// exhausts a worker's memory or time fails alone with a verdict of its own, its batch-mates get theirs, and the
// pool replaces the worker and goes on. The large document is a well-formed, valid invoice (test/large-invoice.ts);
// only the limits, passed as pool options, make it too big.
import { afterAll, describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../kit/config.js'
import { ensureArtefacts } from './artefacts.js'
import { createValidationPool, defaultLimits, limitRules, limitVerdict, type Pool, type PoolEvent } from './pool.js'
import { largeUblInvoice } from '../../test/large-invoice.js'

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url))
const doc = (file: string) => ({ text: readFileSync(fixtures + file, 'utf8') })
const artefacts = await ensureArtefacts()
const pools: Pool[] = []
afterAll(async () => { await Promise.all(pools.map((p) => p.close())) })

async function pool(options: { timeoutMs?: number; memoryMb?: number }) {
  const events: PoolEvent[] = []
  const p = await createValidationPool({ size: 1, artefacts, ...options, onEvent: (e) => events.push(e) })
  pools.push(p)
  return { pool: p, events }
}

/**
 * One worker: `leader` is dispatched at once, alone; the others queue behind it and so go to the worker as
 * one batch with the large document among them (the batch the limit then breaks).
 */
async function batchWithLarge(p: Pool, large: string) {
  const leader = p.validate(doc('ubl-invoice.xml'), 'leader')
  const [ubl, big, cii, invalid] = await Promise.all([
    p.validate(doc('ubl-invoice.xml'), 'ubl'),
    p.validate({ text: large }, 'large'),
    p.validate(doc('cii-invoice.xml'), 'cii'),
    p.validate(doc('ubl-invoice-invalid-totals.xml'), 'invalid'),
  ])
  return { leader: await leader, ubl: ubl!, large: big!, cii: cii!, invalid: invalid! }
}

const ruleIds = (v: { findings: { ruleId: string; severity: string }[] }) => [...new Set(v.findings.filter((f) => f.severity === 'fatal').map((f) => f.ruleId))].sort()

/** The large document's batch-mates got their own verdicts, and the large one exactly one finding. */
function expectBatchMatesJudgedAlone(v: Awaited<ReturnType<typeof batchWithLarge>>) {
  expect(v.leader.valid).toBe(true)
  expect(v.ubl.valid).toBe(true)
  expect(v.cii.valid).toBe(true)
  expect(ruleIds(v.invalid)).toEqual(['BR-CO-15', 'BR-CO-16'])
  expect(v.large.valid).toBe(false)
  expect(v.large.findings).toHaveLength(1)
}

describe('validation pool limits', () => {
  test('a document that needs more memory than a worker may have fails alone (FACTEUR-VALIDATION-RESOURCES); its batch-mates get their own verdicts; the pool goes on', async () => {
    // 160 MB holds the loaded packs (60-75 MB) and the fixtures easily; 8 000 lines (4.7 MB) need about 250 MB.
    const { pool: p, events } = await pool({ memoryMb: 160, timeoutMs: 300_000 })
    const v = await batchWithLarge(p, largeUblInvoice(8_000))

    expectBatchMatesJudgedAlone(v)
    expect(v.large.findings[0]).toMatchObject({ ruleId: limitRules.resources, severity: 'fatal', pack: null })
    expect(v.large.findings[0]!.message).toMatch(/more memory than the hub allows one validation \(160 MB\).*split into smaller invoices/)

    expect(events.map((e) => [e.outcome, e.cause, e.documentIds])).toEqual([
      ['rerun-alone', 'resources', ['ubl', 'large', 'cii', 'invalid']],
      ['verdict', 'resources', ['large']],
    ])
    expect(events[1]!.ruleId).toBe(limitRules.resources)

    // The worker was replaced: the pool validates the next document as before.
    expect((await p.validate(doc('ubl-creditnote.xml'), 'after')).valid).toBe(true)
  }, 300_000)

  test('a document that takes longer than the timeout fails alone (FACTEUR-VALIDATION-TIMEOUT); its batch-mates get their own verdicts; the pool goes on', async () => {
    // 16 000 lines (9.4 MB) take about 20 s on one core; the fixtures a few ms each (a second or so when the
    // machine is busy), so 5 s stops only the large one.
    const { pool: p, events } = await pool({ timeoutMs: 5_000 })
    const v = await batchWithLarge(p, largeUblInvoice(16_000))

    expectBatchMatesJudgedAlone(v)
    expect(v.large.findings[0]).toMatchObject({ ruleId: limitRules.timeout, severity: 'fatal', pack: null })
    expect(v.large.findings[0]!.message).toMatch(/did not finish within the hub's limit of 5 s.*split into smaller invoices/)

    expect(events.map((e) => [e.outcome, e.cause, e.documentIds])).toEqual([
      ['rerun-alone', 'timeout', ['ubl', 'large', 'cii', 'invalid']],
      ['verdict', 'timeout', ['large']],
    ])
    // The worker was stopped at the timeout, twice (the batch, then the large document alone), not after the
    // 20 s the document would take.
    for (const e of events) expect(e.ms).toBeGreaterThanOrEqual(5_000)
    for (const e of events) expect(e.ms).toBeLessThan(12_000)

    expect((await p.validate(doc('ubl-creditnote.xml'), 'after')).valid).toBe(true)
  }, 300_000)

  test('a pool with no failure reports no event and gives every document of a batch its verdict', async () => {
    const { pool: p, events } = await pool({})
    const verdicts = await Promise.all(['ubl-invoice.xml', 'cii-invoice.xml', 'ubl-creditnote.xml', 'ubl-invoice-invalid-totals.xml'].map((f) => p.validate(doc(f), f)))
    expect(verdicts.map((v) => v.valid)).toEqual([true, true, true, false])
    expect(events).toEqual([])
  }, 120_000)
})

describe('limit verdicts', () => {
  const job = { text: 'x'.repeat(3 * 1048576), syntax: 'ubl-invoice' as const }
  const limits = { timeoutMs: 30_000, memoryMb: 512 }
  test.each([
    ['timeout', limitRules.timeout, /3\.0 MB.*limit of 30 s.*split into smaller invoices/],
    ['resources', limitRules.resources, /3\.0 MB.*\(512 MB\).*split into smaller invoices/],
    ['crash', limitRules.crash, /stopped unexpectedly .*3\.0 MB\).*document id/],
  ] as const)('%s: INVALID with one fatal %s that names the limit and what the sender can do', (cause, ruleId, message) => {
    const v = limitVerdict(cause, job, limits)
    expect(v).toMatchObject({ valid: false, syntax: 'ubl-invoice', ran: [] })
    expect(v.findings).toEqual([{ ruleId, severity: 'fatal', location: '/', message: expect.stringMatching(message), pack: null, line: null }])
  })

  test('the pool defaults are the defaults of FACTEUR_VALIDATION_TIMEOUT_MS and FACTEUR_VALIDATION_WORKER_MEMORY_MB', () => {
    const config = loadConfig({})
    expect({ timeoutMs: config.validationTimeoutMs, memoryMb: config.validationWorkerMemoryMb }).toEqual(defaultLimits)
  })
})
