import { describe, expect, test } from 'vitest'
import { parseDeadLetterSelector, parseDeliverySelector } from './operations-routes.js'
import { resolveTopic } from './operations.js'

const id = '0b9d6c1e-5f7a-4c36-9a51-2f7d1e8f4a10'

describe('what a replay concerns', () => {
  test.each([
    [{ id: '42' }, { id: '42' }],
    [{ topic: 'document.validated' }, { topic: 'hub1.document.validated' }],
    [{ topic: 'validated' }, { topic: 'hub1.document.validated' }],
    [{ documentId: id }, { documentId: id }],
    [{ all: true }, { all: true }],
  ])('dead letters: %j selects %j', (body, selector) => {
    expect(parseDeadLetterSelector(body, 'hub1')).toEqual({ ok: true, value: selector })
  })

  test.each([
    [{}, /exactly one of/],
    [{ id: '1', all: true }, /exactly one of/],
    [{ all: false }, /`all` must be true/],
    [{ id: '1; DROP TABLE x' }, /`id` is a dead letter id/],
    [{ topic: 'hub2.document.validated' }, /not a topic of this hub/],
    [{ documentId: 'nope' }, /UUID/],
    [null, /exactly one of/],
  ])('dead letters: %j is refused', (body, message) => {
    const parsed = parseDeadLetterSelector(body, 'hub1')
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.message).toMatch(message)
  })

  test('deliveries: one of document, endpoint or all; never everything by default', () => {
    expect(parseDeliverySelector({ documentId: id })).toEqual({ ok: true, value: { documentId: id } })
    expect(parseDeliverySelector({ endpoint: 'https://ap.example.org/in' })).toEqual({ ok: true, value: { endpoint: 'https://ap.example.org/in' } })
    expect(parseDeliverySelector({ all: true })).toEqual({ ok: true, value: { all: true } })
    expect(parseDeliverySelector({}).ok).toBe(false)
    expect(parseDeliverySelector({ endpoint: '' }).ok).toBe(false)
    expect(parseDeliverySelector({ documentId: id, all: true }).ok).toBe(false)
  })

  test('a topic is named by its key, its name or its runtime name, and only the hub\'s own', () => {
    expect(['routed', 'document.routed', 'hub1.document.routed'].map((t) => resolveTopic('hub1', t))).toEqual(Array(3).fill('hub1.document.routed'))
    expect(resolveTopic('hub1', 'document.routed.dlq')).toBeNull()
  })
})
