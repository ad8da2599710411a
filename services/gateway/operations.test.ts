// What a retry of deliveries concerns (operations.ts parseDeliverySelector): one job by its id, a document's failed
// jobs, an endpoint's, or all of them said explicitly; anything else refused with what to give.
import { describe, expect, test } from 'vitest'
import { parseDeliverySelector } from './operations.js'

const doc = '0b9d6c1e-5f7a-4c36-9a51-2f7d1e8f4a10'

describe('what a retry of deliveries concerns', () => {
  test.each([
    [{ id: '42' }, { id: '42' }],
    [{ id: 42 }, { id: '42' }],
    [{ documentId: doc }, { documentId: doc }],
    [{ endpoint: 'https://ap.example.org/in' }, { endpoint: 'https://ap.example.org/in' }],
    [{ all: true }, { all: true }],
  ])('%j selects %j', (body, selector) => {
    expect(parseDeliverySelector(body)).toEqual({ ok: true, value: selector })
  })

  test.each([
    [{}, /exactly one of `id`, `documentId`/],
    [null, /exactly one of/],
    [{ id: '7', documentId: doc }, /exactly one of/],
    [{ id: '7', all: true }, /exactly one of/],
    [{ id: '7; DROP TABLE delivery_jobs' }, /`id` is a delivery job id/],
    [{ id: '-1' }, /`id` is a delivery job id/],
    [{ id: '1234567890123456789' }, /`id` is a delivery job id/],
    [{ id: ['7'] }, /`id` is a delivery job id/],
    [{ documentId: 'nope' }, /UUID/],
    [{ endpoint: '' }, /`endpoint` is the endpoint/],
    [{ all: false }, /`all` must be true/],
  ])('%j is refused', (body, message) => {
    const parsed = parseDeliverySelector(body)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.message).toMatch(message)
  })
})
