import { describe, expect, test } from 'vitest'
import { chunkBySize, isRecordRefused } from './kafka.js'
import { FacteurError } from './errors.js'

const msg = (key: string, bytes: number) => ({ key, value: Buffer.alloc(bytes) })

describe('chunkBySize (no record batch over the topics\' max.message.bytes)', () => {
  test('keeps order and cuts before the budget is passed', () => {
    const messages = [msg('a', 400), msg('b', 400), msg('c', 400), msg('d', 100)]
    const chunks = chunkBySize(messages, 1_100)
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([['a', 'b'], ['c', 'd']])
  })

  test('a message bigger than the budget goes alone, never dropped', () => {
    const chunks = chunkBySize([msg('a', 10), msg('big', 5_000), msg('c', 10)], 1_000)
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([['a'], ['big'], ['c']])
  })

  test('nothing in, nothing out', () => {
    expect(chunkBySize([], 1_000)).toEqual([])
  })
})

describe('isRecordRefused (the outbox sets a row aside only for these)', () => {
  const protocol = (type: string, retriable = false) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable })
  test.each([
    ['the broker refusing a record as too large', protocol('MESSAGE_TOO_LARGE')],
    ['an invalid record', protocol('INVALID_RECORD')],
    ['the hub\'s own size guard', new FacteurError('EVENT_TOO_LARGE', 'a 3000000-byte value')],
  ])('%s: refused', (_name, error) => expect(isRecordRefused(error)).toBe(true))

  test.each([
    // Seen after a broker restart under a running idempotent producer: the records are fine (and had landed).
    ['a lost producer sequence', protocol('OUT_OF_ORDER_SEQUENCE_NUMBER')],
    ['the producer replaced after it', new FacteurError('INFRA_UNAVAILABLE', 'replaced', { cause: protocol('OUT_OF_ORDER_SEQUENCE_NUMBER') })],
    ['a broker away', Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' })],
    ['an error nobody classified', new Error('something else')],
  ])('%s: not refused, the rows stay queued', (_name, error) => expect(isRecordRefused(error)).toBe(false))
})
