import { describe, expect, test } from 'vitest'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import avro from 'avsc'
import { topics, deadLetterSchemaFile, topicName, dlqName, subjectOf } from './topics.js'
import type { EventOf, DeadLetter, DocumentKeys, Finding } from './events.js'
import { loadSchema } from '../services/kit/avro.js'

const dir = fileURLToPath(new URL('.', import.meta.url))
const schemaFiles = readdirSync(dir).filter((f) => f.endsWith('.avsc'))

const keys: DocumentKeys = {
  invoiceNumber: 'F-2026-0001', issueDate: '2026-11-24', typeCode: '380', currency: 'EUR', customizationId: 'urn:cen.eu:en16931:2017',
  profileId: null, buyerReference: 'SERV-01', orderReference: 'EJ-42',
  seller: { name: 'Fournisseur SA', legalId: { scheme: '0009', value: '73282932000074' }, vatId: 'FR44732829320', endpoint: null },
  buyer: { name: 'Mairie', legalId: null, vatId: null, endpoint: { scheme: '0009', value: '21750001600019' } },
  totals: { lineExtension: '100.00', taxExclusive: '100.00', taxTotal: '20.00', taxInclusive: '120.00', payable: '120.00' },
}
const finding: Finding = { ruleId: 'BR-CO-15', severity: 'fatal', location: '/Invoice', message: 'total', pack: 'en16931', packVersion: '1.3.16', line: 12 }
const h = { eventId: 'd:x', documentId: '9f0c0f5e-3f3b-4b8e-9d57-0d0c2a1c1e11', partnerId: 'p' }

const samples: { [K in keyof EventOf]: EventOf[K] } = {
  received: { ...h, contentType: 'application/xml', sizeBytes: 10, sha256: 'ab', receivedAt: Date.now() },
  parsed: { ...h, syntax: 'ubl-invoice', keys, parsedAt: Date.now() },
  rejected: { ...h, stage: 'ingest', findings: [finding], rejectedAt: Date.now() },
  validated: { ...h, syntax: 'cii', keys, verdict: 'INVALID', packs: ['en16931-cii:1.3.16'], findings: [finding], validatedAt: Date.now() },
  routed: { ...h, recipientAddress: '0009:21750001600019', recipientName: 'Mairie', endpoint: 'file:///tmp/x', routedAt: Date.now(), serviceCode: 'SERV-01', resubmissionOf: null, deliveryFormat: 'factur-x' },
  unroutable: { ...h, reasons: [{ code: 'RECIPIENT_UNKNOWN', field: 'BT-49', message: 'no' }], at: Date.now(), resubmissionOf: '9f0c0f5e-3f3b-4b8e-9d57-0d0c2a1c1e12' },
  delivery: { ...h, outcome: 'DELIVERED', endpoint: 'file:///tmp/x', attempts: 1, detail: null, at: Date.now() },
  receipt: { eventId: 'd:receipt:2', documentId: h.documentId, partnerId: 'p', sequence: 2, kind: 'mlr', responseCode: 'AP', endpoint: 'file:///tmp/x', at: Date.now() },
  status: { eventId: 'd:status:1', documentId: h.documentId, sequence: 1, status: 'DEPOSEE', code: '200', actor: 'hub', at: Date.now(), reason: null, findings: [], prevHash: null, hash: 'ab12' },
}

describe('topics and schemas', () => {
  test('every topic names a schema file that exists', () => {
    for (const spec of Object.values(topics)) expect(schemaFiles).toContain(spec.schemaFile)
    expect(schemaFiles).toContain(deadLetterSchemaFile)
  })

  test('every schema file is used by a topic or by the dead-letter topics', () => {
    const used = new Set([...Object.values(topics).map((t) => t.schemaFile), deadLetterSchemaFile])
    expect(schemaFiles.filter((f) => !used.has(f))).toEqual([])
  })

  test('runtime names and subjects follow <prefix>.<name> and <topic>-value', () => {
    expect(topicName('facteur', topics.received)).toBe('facteur.document.received')
    expect(dlqName('t1', topics.routed)).toBe('t1.document.routed.dlq')
    expect(subjectOf('facteur.document.status')).toBe('facteur.document.status-value')
  })

  test.each(Object.entries(samples))('a %s event round-trips through its schema', (key, sample) => {
    const type = loadSchema(topics[key as keyof typeof topics].schemaFile)
    const paths: string[] = []
    expect(type.isValid(sample, { errorHook: (p) => paths.push(p.join('.')) }), paths.join(', ')).toBe(true)
    expect(type.fromBuffer(type.toBuffer(sample))).toEqual(sample)
  })

  test('a dead letter round-trips, bytes intact', () => {
    const type = loadSchema(deadLetterSchemaFile)
    const letter: DeadLetter = { documentId: null, topic: 't', partition: 0, offset: '12', consumer: 'ingest', error: 'boom', attempts: 3, value: Buffer.from([0, 1, 2, 255]), failedAt: 1 }
    expect(type.fromBuffer(type.toBuffer(letter))).toEqual(letter)
  })

  test('an event missing a required field is refused', () => {
    const type = loadSchema(topics.received.schemaFile)
    const { sha256: _dropped, ...incomplete } = samples.received
    expect(type.isValid(incomplete)).toBe(false)
  })

  // BACKWARD compatibility, checked without a registry: the current schema must read data written with every
  // released version kept in history/ (avsc's createResolver throws when it cannot).
  const history = readdirSync(dir + 'history').filter((f) => f.endsWith('.avsc'))
  test.each(history)('the current schema reads data written with history/%s', (file) => {
    const current = loadSchema(file.replace(/\.v\d+\.avsc$/, '.avsc'))
    const released = loadSchema(`history/${file}`)
    expect(() => current.createResolver(released)).not.toThrow()
  })

  test('a change that drops a default-less field read by the consumer is detected as incompatible', () => {
    const reader = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'string' }] })
    const writer = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] })
    expect(() => reader.createResolver(writer)).toThrow()
  })
})
