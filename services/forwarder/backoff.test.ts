import { describe, expect, test } from 'vitest'
import { backoffDelay } from './backoff.js'

describe('delivery back-off', () => {
  test('doubles from the base delay, between half and all of the exponential step', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 500, () => 0))).toEqual([250, 500, 1000, 2000])
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 500, () => 1))).toEqual([500, 1000, 2000, 4000])
  })

  test('never waits more than 30 s', () => {
    expect(backoffDelay(30, 500, () => 1)).toBe(30_000)
  })
})
