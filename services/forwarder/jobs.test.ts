import { describe, expect, test } from 'vitest'
import { afterAttempt, deliveryEventId, pickJobs, type Candidate } from './jobs.js'

const jobs = (...endpoints: string[]): Candidate[] => endpoints.map((endpoint, i) => ({ id: String(i + 1), endpoint }))
const ids = (cs: Candidate[]) => cs.map((c) => c.id)

describe('pickJobs', () => {
  test('takes due jobs in order up to the free slots', () => {
    expect(ids(pickJobs(jobs('a', 'b', 'c', 'd'), new Map(), { slots: 3, perEndpoint: 5 }))).toEqual(['1', '2', '3'])
  })

  test('takes at most perEndpoint jobs of one endpoint, so the others are not starved behind it', () => {
    const candidates = jobs('dead', 'dead', 'dead', 'dead', 'ok', 'other')
    expect(ids(pickJobs(candidates, new Map(), { slots: 10, perEndpoint: 2 }))).toEqual(['1', '2', '5', '6'])
  })

  test('counts the attempts already in flight to an endpoint, on any runner', () => {
    const candidates = jobs('dead', 'dead', 'ok')
    expect(ids(pickJobs(candidates, new Map([['dead', 2]]), { slots: 10, perEndpoint: 2 }))).toEqual(['3'])
    expect(ids(pickJobs(candidates, new Map([['dead', 1]]), { slots: 10, perEndpoint: 2 }))).toEqual(['1', '3'])
  })

  test('takes nothing without a free slot', () => {
    expect(pickJobs(jobs('a'), new Map(), { slots: 0, perEndpoint: 2 })).toEqual([])
  })
})

describe('afterAttempt', () => {
  const options = { maxAttempts: 3, backoffMs: 100, now: 1_000_000, random: () => 1 }

  test('a delivered attempt ends the job, with its attempt count', () => {
    expect(afterAttempt(2, { outcome: 'delivered', detail: 'HTTP 202' }, options)).toEqual({ state: 'delivered', attempts: 2, detail: 'HTTP 202' })
  })

  test('a permanent failure ends the job at once', () => {
    expect(afterAttempt(1, { outcome: 'failed', detail: 'HTTP 404' }, options)).toEqual({ state: 'failed', attempts: 1, detail: 'HTTP 404' })
  })

  test.each([[1, 100], [2, 200]])('retry-later after attempt %i waits the back-off (%i ms with full jitter)', (attempt, delay) => {
    expect(afterAttempt(attempt, { outcome: 'retry-later', detail: 'HTTP 503' }, options))
      .toEqual({ state: 'pending', attempts: attempt, detail: 'HTTP 503', nextAttemptAt: options.now + delay })
  })

  test('jitter spreads the next attempt between half and all of the step', () => {
    const low = afterAttempt(2, { outcome: 'retry-later', detail: '' }, { ...options, random: () => 0 })
    expect(low).toMatchObject({ state: 'pending', nextAttemptAt: options.now + 100 })
  })

  test('the last allowed attempt gives up, saying so', () => {
    expect(afterAttempt(3, { outcome: 'retry-later', detail: 'no answer within 200 ms' }, options))
      .toEqual({ state: 'failed', attempts: 3, detail: 'gave up after 3 attempts; last: no answer within 200 ms' })
  })
})

describe('deliveryEventId', () => {
  test('keeps the first generation\'s id and gives each retry its own', () => {
    expect(deliveryEventId('d1', 1)).toBe('d1:delivery')
    expect(deliveryEventId('d1', 2)).toBe('d1:delivery:2')
    expect(deliveryEventId('d1', 3)).not.toBe(deliveryEventId('d1', 2))
  })
})
