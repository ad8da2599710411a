// A document that kills a validation worker fails alone (issue 10 §4): on a hub whose workers may hold little
// memory, a large (well-formed, rule-valid) invoice is REJETEE with FACTEUR-VALIDATION-RESOURCES, the invoices
// posted with it reach MISE_A_DISPOSITION, the event is logged with the document id, and the hub goes on.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startOwnHub, type OwnHub } from './own-hub.js'
import { dropFolder, fixture, randomSiret, withBuyerAddress } from './helpers.js'
import { largeUblInvoice } from './large-invoice.js'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const FIXTURE_BUYER = '21750001600019'
const FINAL = ['MISE_A_DISPOSITION', 'REJETEE', 'A_RECYCLER', 'EN_ERREUR', 'ECHEC_DISTRIBUTION']

describe('a worker-killing document among others', () => {
  let hub: OwnHub
  beforeAll(async () => {
    // One worker (own-hub.ts), 160 MB of heap: the packs (60-75 MB) and ordinary invoices fit, 8 000 lines
    // (4.7 MB, about 250 MB to validate) do not. A generous timeout, so only the memory limit can be hit. 12
    // partitions: the validation service takes up to 12 documents at once, so they can meet in the pool.
    hub = await startOwnHub('validation-isolation', { FACTEUR_VALIDATION_WORKER_MEMORY_MB: '160', FACTEUR_VALIDATION_TIMEOUT_MS: '300000', FACTEUR_TOPIC_PARTITIONS: '12' })
  }, 240_000)
  afterAll(async () => { await hub?.stop() }, 120_000)

  let buyer: string
  beforeAll(async () => {
    buyer = randomSiret()
    const inbox = await dropFolder()
    const registered = await hub.api('PUT', `/v1/directory/participants/0009:${buyer}`, { key: hub.keys.admin, body: { name: 'Isolation test recipient', endpoint: inbox.endpoint } })
    expect(registered.status, registered.text).toBe(201)
  })
  /** The valid fixture to the test's recipient, with an invoice number of its own. */
  const normalInvoice = async () => withBuyerAddress(await fixture('ubl-invoice.xml'), FIXTURE_BUYER, buyer)

  test('a large invoice is REJETEE with FACTEUR-VALIDATION-RESOURCES; the invoices posted with it are delivered', async () => {
    // Two large invoices and six ordinary ones at once. Whether an ordinary one shares a worker batch with a
    // large one depends on when each reaches the pool (the consumer's runs, Kafka's fetches): that batch-mates
    // of a worker-killing document get their own verdicts is checked in the pool's own test, with the batch made
    // on purpose (services/validation/pool.test.ts). Here: through the whole hub, each large invoice fails
    // alone, every ordinary one is delivered, and the hub goes on.
    const large = () => Buffer.from(largeUblInvoice(8_000, `FCT-LARGE-${randomSiret()}`))
    const post = (body: Buffer) => hub.api('POST', '/v1/documents', { body })
    const normalBodies = await Promise.all(Array.from({ length: 6 }, () => normalInvoice()))
    const posted = await Promise.all([post(large()), post(large()), ...normalBodies.map(post)])
    const postedLarge = posted.slice(0, 2)
    const postedNormal = posted.slice(2)
    for (const p of [...postedLarge, ...postedNormal]) expect(p.status, p.text).toBe(202)
    const largeIds = postedLarge.map((p) => p.json.id as string)
    const normalIds = postedNormal.map((p) => p.json.id as string)

    const largeDocs = await Promise.all(largeIds.map((id) => hub.waitForStatus(id, FINAL, 240_000)))
    const normalDocs = await Promise.all(normalIds.map((id) => hub.waitForStatus(id, FINAL, 240_000)))
    for (const d of normalDocs) expect({ status: d.status, findings: d.findings }).toEqual({ status: 'MISE_A_DISPOSITION', findings: [] })
    for (const d of largeDocs) {
      expect(d.status).toBe('REJETEE')
      expect(d.findings).toEqual([expect.objectContaining({ ruleId: 'FACTEUR-VALIDATION-RESOURCES', severity: 'fatal', message: expect.stringMatching(/\(160 MB\).*split into smaller invoices/) })])
      expect(d.history.at(-1)).toMatchObject({ status: 'REJETEE', code: '213', reason: expect.stringContaining('FACTEUR-VALIDATION-RESOURCES') })
    }

    // The operator sees each event with the document ids (the hub's log, a JSON line per event): each large
    // invoice's own verdict.
    const logFile = join(root, '.facteur', 'test', 'logs', `hub-${hub.topicPrefix}.log`)
    let events: any[] = []
    for (let i = 0; i < 50 && events.filter((e) => e.outcome === 'verdict').length < 2; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200))
      events = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.service === 'validation' && l.outcome)
    }
    for (const id of largeIds) {
      expect(events).toContainEqual(expect.objectContaining({ level: 40, outcome: 'verdict', cause: 'resources', ruleId: 'FACTEUR-VALIDATION-RESOURCES', documentIds: [id] }))
    }
    // A batch the limit broke (if there was one) named its documents and sent each one back alone.
    for (const batch of events.filter((e) => e.outcome === 'rerun-alone')) {
      expect(batch).toMatchObject({ level: 40, cause: 'resources' })
      expect(batch.documentIds.some((id: string) => largeIds.includes(id)), JSON.stringify(batch)).toBe(true)
    }

    // The worker was replaced: the next invoice is validated and delivered as usual.
    const after = await hub.api('POST', '/v1/documents', { body: await normalInvoice() })
    expect(after.status, after.text).toBe(202)
    expect((await hub.waitForStatus(after.json.id, FINAL, 120_000)).status).toBe('MISE_A_DISPOSITION')
  }, 400_000)
})
