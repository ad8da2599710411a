import { describe, expect, it } from 'vitest'
import { readiness, withinTime } from './health.js'

describe('withinTime', () => {
  it('gives the work\'s result when it comes in time', async () => {
    expect(await withinTime(Promise.resolve(42), 1_000, 'the answer')).toBe(42)
  })

  it('fails naming what did not answer once the time is up (a pool waiting for PostgreSQL never settles)', async () => {
    await expect(withinTime(new Promise(() => {}), 50, 'the outbox backlog')).rejects.toThrow('the outbox backlog: no answer within 0.05 s')
  })
})

describe('readiness', () => {
  it('collects the failing checks by name, thrown or returned', async () => {
    expect(await readiness({ ok: async () => null, said: async () => 'broker down', threw: async () => { throw new Error('refused') } }))
      .toEqual({ said: 'broker down', threw: 'refused' })
  })
})
