import { describe, expect, test } from 'vitest'
import { isInfraError, retryDelay } from './run-service.js'
import { FacteurError } from './errors.js'

describe('consumer failure classification', () => {
  test.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['PostgreSQL shutting down (57P01)', Object.assign(new Error('terminating connection'), { code: '57P01' })],
    ['a kafkajs error', Object.assign(new Error('broker gone'), { name: 'KafkaJSConnectionError' })],
    ['an INFRA_UNAVAILABLE error', new FacteurError('INFRA_UNAVAILABLE', 'registry down')],
    ['an infrastructure error as the cause', new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) })],
    ['kafkajs giving up on an unreachable broker', Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' }) })],
    ['a leader election (retriable protocol error)', Object.assign(new Error('There is no leader for this topic-partition'), { name: 'KafkaJSProtocolError', type: 'LEADER_NOT_AVAILABLE', retriable: true })],
    ['a PostgreSQL deadlock (40P01)', Object.assign(new Error('deadlock detected'), { code: '40P01' })],
  ])('%s is not the message’s fault: retried, never dead-lettered', (_name, error) => {
    expect(isInfraError(error)).toBe(true)
  })

  test.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a constraint violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['an Avro decoding error', new Error('not a Confluent-framed Avro value')],
    // Retrying these forever stalled the partition (issue 10): the broker will refuse the same bytes every time.
    ['a record over the broker limit (MESSAGE_TOO_LARGE)', Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', retriable: false })],
    ['an event over the hub limit', new FacteurError('EVENT_TOO_LARGE', 'a 3000000-byte value')],
    ['any other kafkajs error that is not about reaching the broker', Object.assign(new Error('Invalid record'), { name: 'KafkaJSNonRetriableError' })],
  ])('%s is the message’s problem: dead-lettered after retries', (_name, error) => {
    expect(isInfraError(error)).toBe(false)
  })

  test('retry delays double from 200 ms and stop growing at 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(retryDelay)).toEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000])
  })
})
