import { describe, expect, test } from 'vitest'
import { chunkBySize, headerText, isRecordRefused, topicLag } from './kafka.js'
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

describe('topicLag (facteur_consumer_lag)', () => {
  const ends = [{ partition: 0, low: '0', high: '10' }, { partition: 1, low: '5', high: '8' }, { partition: 2, low: '0', high: '0' }]

  test('end offset minus committed offset, summed over the partitions', () => {
    expect(topicLag([{ partition: 0, offset: '7' }, { partition: 1, offset: '8' }, { partition: 2, offset: '0' }], ends)).toBe(3)
  })

  test('nothing committed yet (-1, or a partition not listed): everything kept is to be read', () => {
    expect(topicLag([{ partition: 0, offset: '-1' }], ends)).toBe(10 + 3)
  })

  test('a committed offset deleted by retention counts from the first offset kept; never negative', () => {
    expect(topicLag([{ partition: 0, offset: '10' }, { partition: 1, offset: '2' }, { partition: 2, offset: '0' }], ends)).toBe(3)
    expect(topicLag([{ partition: 0, offset: '12' }, { partition: 1, offset: '8' }, { partition: 2, offset: '0' }], ends)).toBe(0)
  })
})

describe('headerText (IncomingMessage.headers)', () => {
  test('Kafka headers as text: buffers decoded, the first of a repeated header, undefined left out', () => {
    expect(headerText({ traceparent: Buffer.from('00-abc'), a: 'text', b: [Buffer.from('first'), 'second'], c: undefined }))
      .toEqual({ traceparent: '00-abc', a: 'text', b: 'first' })
    expect(headerText(undefined)).toEqual({})
  })
})

describe('chunkBySize counts headers', () => {
  test('a message with large headers fills its chunk sooner', () => {
    const plain = [msg('a', 400), msg('b', 400)]
    expect(chunkBySize(plain, 1_100)).toHaveLength(1)
    const withHeaders = [msg('a', 400), { ...msg('b', 400), headers: { big: 'x'.repeat(200) } }]
    expect(chunkBySize(withHeaders, 1_100)).toHaveLength(2)
  })
})
