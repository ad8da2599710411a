import { describe, expect, test } from 'vitest'
import { createRateLimiter, createSlots, retryAfterSeconds, takeToken, type Bucket } from './rate-limit.js'

describe('token bucket', () => {
  const limits = { ratePerSecond: 2, burst: 3 }

  test('a new key may make `burst` requests at once, then is refused with the time until the next token', () => {
    let bucket: Bucket | undefined
    const outcomes = [0, 0, 0, 0].map(() => { const t = takeToken(bucket, 1000, limits); bucket = t.bucket; return t })
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false])
    expect(outcomes[3]).toMatchObject({ ok: false, retryAfterMs: 500 })
  })

  test('tokens come back at the rate, never above the burst', () => {
    let bucket: Bucket = { tokens: 0, at: 0 }
    const t1 = takeToken(bucket, 499, limits)
    expect(t1.ok).toBe(false)
    const t2 = takeToken(bucket, 500, limits)
    expect(t2.ok).toBe(true)
    bucket = { tokens: 0, at: 0 }
    const later = takeToken(bucket, 3_600_000, limits)
    expect(later).toEqual({ ok: true, bucket: { tokens: 2, at: 3_600_000 } })
  })

  test('a clock going backwards gives no tokens', () => {
    const out = takeToken({ tokens: 0.5, at: 10_000 }, 5_000, limits)
    expect(out).toMatchObject({ ok: false, retryAfterMs: 250 })
  })

  test.each([[1, 1], [999, 1], [1000, 1], [1001, 2], [0, 1]])('Retry-After of %i ms is %i s', (ms, s) => {
    expect(retryAfterSeconds(ms)).toBe(s)
  })
})

describe('rate limiter', () => {
  test('keys have buckets of their own, on the injected clock', () => {
    let now = 0
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1 }, () => now)
    expect(limiter.take('a').ok).toBe(true)
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterMs: 1000 })
    expect(limiter.take('b').ok).toBe(true)
    now = 1000
    expect(limiter.take('a').ok).toBe(true)
  })

  test('full buckets of idle keys are forgotten', () => {
    let now = 0
    const limiter = createRateLimiter({ ratePerSecond: 10, burst: 10 }, () => now)
    for (let i = 0; i < 100; i++) limiter.take(`key-${i}`)
    expect(limiter.size()).toBe(100)
    now = 61_000
    limiter.take('fresh')
    expect(limiter.size()).toBe(1)
  })
})

describe('upload slots', () => {
  test('refuses over the cap and frees a slot once, however often released', () => {
    const slots = createSlots(2)
    const a = slots.tryAcquire()!
    const b = slots.tryAcquire()!
    expect(slots.tryAcquire()).toBeNull()
    a(); a()
    expect(slots.inUse()).toBe(1)
    expect(slots.tryAcquire()).not.toBeNull()
    b()
    expect(slots.inUse()).toBe(1)
  })
})
